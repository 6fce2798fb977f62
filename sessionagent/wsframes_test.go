package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// clientFrame is one frame as a browser sends it: masked.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	var b bytes.Buffer
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b.WriteByte(b0)
	switch n := len(payload); {
	case n < 126:
		b.WriteByte(0x80 | byte(n))
	case n <= 0xffff:
		b.WriteByte(0x80 | 126)
		_ = binary.Write(&b, binary.BigEndian, uint16(n))
	default:
		b.WriteByte(0x80 | 127)
		_ = binary.Write(&b, binary.BigEndian, uint64(n))
	}
	mask := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b.Write(mask[:])
	for i, c := range payload {
		b.WriteByte(c ^ mask[i%4])
	}
	return b.Bytes()
}

func text(s string) []byte { return clientFrame(true, opText, []byte(s)) }

const (
	shinyInit       = `{"method":"init","data":{"n":5,".clientdata_url_search":""}}`
	shinyInput      = `{"method":"update","data":{"n":6}}`
	shinyClientdata = `{"method":"update","data":{".clientdata_output_plot_width":640,".clientdata_output_plot_hidden":false}}`
	shinyUpload     = `{"method":"uploadInit","args":[[{"name":"a.csv","size":10,"type":"text/csv"}]],"tag":0}`
)

// countUser feeds stream to a scanner in chunks of size chunk and counts
// the feeds that reported a user message.
func countUser(stream []byte, chunk int) int {
	var s frameScanner
	n := 0
	for len(stream) > 0 {
		c := min(chunk, len(stream))
		if s.feed(stream[:c]) {
			n++
		}
		stream = stream[c:]
	}
	return n
}

func TestFrameScannerTellsUsersFromKeepAlive(t *testing.T) {
	big := `{"method":"update","data":{"text":"` + strings.Repeat("x", maxInspected) + `"}}`
	bigClientdata := `{"method":"update","data":{".clientdata_x":"` + strings.Repeat("x", 70000) + `"}}`
	for _, tc := range []struct {
		name   string
		stream []byte
		want   int // user messages (at most one per case: each feed reports one bool)
	}{
		{"init", text(shinyInit), 1},
		{"input change", text(shinyInput), 1},
		{"layout (.clientdata only)", text(shinyClientdata), 0},
		{"ping", clientFrame(true, 0x9, []byte("p")), 0},
		{"pong", clientFrame(true, 0xA, nil), 0},
		{"close", clientFrame(true, opClose, []byte{0x03, 0xe8}), 0},
		{"upload request", text(shinyUpload), 1},
		{"binary message", clientFrame(true, opBinary, []byte{1, 2, 2, 2, 0, 0, 0, 0}), 1},
		{"not JSON", text("hello"), 1},
		{"16-bit length input", text(`{"method":"update","data":{"t":"` + strings.Repeat("y", 300) + `"}}`), 1},
		{"too long to inspect", text(big), 1},
		// Long enough to be truncated: counts, though only .clientdata.
		{"long .clientdata (64-bit length)", text(bigClientdata), 1},
		{"fragmented input with a ping between the fragments", append(append(
			clientFrame(false, opText, []byte(shinyInput[:10])),
			clientFrame(true, 0x9, nil)...),
			clientFrame(true, opContinuation, []byte(shinyInput[10:]))...), 1},
		{"fragmented .clientdata", append(
			clientFrame(false, opText, []byte(shinyClientdata[:20])),
			clientFrame(true, opContinuation, []byte(shinyClientdata[20:]))...), 0},
		{"pings, layout, then one input", bytes.Join([][]byte{
			clientFrame(true, 0x9, nil), text(shinyClientdata), clientFrame(true, 0xA, nil), text(shinyInput)}, nil), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Whole, byte by byte, and in odd chunks: a read can end anywhere.
			for _, chunk := range []int{len(tc.stream) + 1, 1, 3, 7} {
				if got := countUser(tc.stream, chunk); got != tc.want {
					t.Fatalf("chunks of %d: %d user messages, want %d", chunk, got, tc.want)
				}
			}
		})
	}
}

func TestFrameScannerTwoMessagesInOneRead(t *testing.T) {
	var s frameScanner
	if !s.feed(append(text(shinyClientdata), text(shinyInput)...)) {
		t.Fatal("an input after a layout message in the same read was missed")
	}
	if s.feed(text(shinyClientdata)) {
		t.Fatal("the scanner did not start afresh after a message")
	}
	if s.msg != nil {
		t.Fatal("the scanner keeps a buffer between messages")
	}
}

// Framing the scanner does not understand counts as activity from then on:
// it never closes a session it cannot read.
func TestFrameScannerUnknownFramingCountsAsActivity(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"compressed (RSV1)", func() []byte { f := text(shinyClientdata); f[0] |= 0x40; return f }()},
		{"unmasked", func() []byte { return []byte{0x81, 0x02, 'h', 'i'} }()},
		{"continuation without a start", clientFrame(true, opContinuation, []byte("x"))},
		{"reserved opcode", clientFrame(true, 0x3, []byte("x"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s frameScanner
			if !s.feed(tc.frame) {
				t.Fatal("not counted")
			}
			if !s.feed(text(shinyClientdata)) {
				t.Fatal("later traffic not counted")
			}
		})
	}
}
