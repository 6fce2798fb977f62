package scripttest

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/rshiny"
)

// These tests run the app's R code, so they need R with shiny, jsonlite and
// base64enc (the image has them; CI may not). Without them they skip and say
// so; the static checks in shinyimage_test.go still run.

func requireR(t *testing.T) string {
	t.Helper()
	return rshiny.Require(t, "shiny", "jsonlite", "base64enc")
}

func TestShinyOIDCDecodingR(t *testing.T) {
	rscript := requireR(t)
	dir := shinyDir(t)
	res := runIn(t, dir, nil, rscript, filepath.Join("tests", "test-oidc.R"))
	if res.exitCode != 0 {
		t.Fatalf("tests/test-oidc.R failed:\n%s%s", res.stdout, res.stderr)
	}
	t.Log(strings.TrimSpace(res.stdout))
}

// startShiny runs the sample app as the image does, on loopback, and
// returns its base URL once it answers.
func startShiny(t *testing.T, rscript string) string {
	t.Helper()
	return rshiny.Start(t, rscript, repoRoot(t), filepath.Join(shinyDir(t), "app")).URL
}

func testJWT(payload string, pad bool) string {
	enc := base64.RawURLEncoding
	if pad {
		enc = base64.URLEncoding // the ALB pads its tokens
	}
	return enc.EncodeToString([]byte(`{"alg":"ES256","kid":"k1","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(payload)) + ".c2lnbmF0dXJl"
}

// The running app: its page links to /logout, and over the websocket (where
// Shiny's session$request lives) it shows the user from x-amzn-oidc-data, or
// "Not signed in." when the header is missing or malformed.
func TestShinyAppRunsAndShowsSignedInUser(t *testing.T) {
	rscript := requireR(t)
	base := startShiny(t, rscript)

	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `href="/logout"`) || !strings.Contains(string(page), "Sign out") {
		t.Errorf("GET / = %d; want 200 with a Sign out link to /logout:\n%s", resp.StatusCode, page)
	}

	jane := `{"sub":"1b2c","given_name":"Jane","family_name":"Doe","email":"jane@example.com"}`
	for _, c := range []struct {
		name, header string
		want         []string
	}{
		{"signed in", testJWT(jane, true), []string{"Signed in as", "Jane Doe", "jane@example.com"}},
		{"unpadded token", testJWT(jane, false), []string{"Jane Doe"}},
		{"markup in a claim is escaped", testJWT(`{"given_name":"<b>x</b>","email":"x@example.com"}`, false), []string{"&lt;b&gt;x&lt;/b&gt;"}},
		{"no header", "", []string{"Not signed in."}},
		{"malformed header", "not-a-jwt", []string{"Not signed in."}},
		{"payload not JSON", testJWT("Jane", false), []string{"Not signed in."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			html := renderedOutput(t, base, c.header, "user")
			for _, w := range c.want {
				if !strings.Contains(html, w) {
					t.Errorf("output user does not contain %q:\n%s", w, html)
				}
			}
			if strings.Contains(html, "<b>") {
				t.Errorf("a claim's markup reached the page unescaped:\n%s", html)
			}
		})
	}
}

// renderedOutput opens a Shiny websocket as the browser does (with the
// x-amzn-oidc-data header the ALB adds, when oidcData is set), initializes the
// session and returns the HTML of output id.
func renderedOutput(t *testing.T, base, oidcData, id string) string {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))

	key := make([]byte, 16)
	_, _ = rand.Read(key)
	req := "GET /websocket/ HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n"
	if oidcData != "" {
		req += "X-Amzn-Oidc-Data: " + oidcData + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("websocket upgrade: status %d", resp.StatusCode)
	}

	init := map[string]any{"method": "init", "data": map[string]any{
		".clientdata_output_" + id + "_hidden": false,
		".clientdata_url_protocol":             "http:",
		".clientdata_url_hostname":             "127.0.0.1",
		".clientdata_url_pathname":             "/",
		".clientdata_url_search":               "",
	}}
	msg, _ := json.Marshal(init)
	if err := writeWSText(conn, msg); err != nil {
		t.Fatal(err)
	}
	for {
		payload, err := readWSMessage(r)
		if err != nil {
			t.Fatalf("waiting for output %s: %v", id, err)
		}
		var m struct {
			Values map[string]json.RawMessage `json:"values"`
			Errors map[string]json.RawMessage `json:"errors"`
		}
		if json.Unmarshal(payload, &m) != nil {
			continue
		}
		if e, ok := m.Errors[id]; ok {
			t.Fatalf("output %s failed: %s", id, e)
		}
		if v, ok := m.Values[id]; ok {
			var out struct{ HTML string }
			if err := json.Unmarshal(v, &out); err != nil {
				t.Fatalf("output %s: %v: %s", id, err, v)
			}
			return out.HTML
		}
	}
}

// writeWSText sends one masked text frame (RFC 6455 5.2; clients must mask).
func writeWSText(w io.Writer, payload []byte) error {
	frame := []byte{0x81}
	switch n := len(payload); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n < 1<<16:
		frame = append(frame, 0x80|126, byte(n>>8), byte(n))
	default:
		frame = append(frame, 0x80|127)
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	mask := make([]byte, 4)
	_, _ = rand.Read(mask)
	frame = append(frame, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	_, err := w.Write(frame)
	return err
}

// readWSMessage returns the next text or binary message, joining fragments
// and skipping control frames.
func readWSMessage(r *bufio.Reader) ([]byte, error) {
	var msg []byte
	for {
		var hdr [2]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		fin, opcode := hdr[0]&0x80 != 0, hdr[0]&0x0f
		n := uint64(hdr[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		var mask []byte
		if hdr[1]&0x80 != 0 {
			mask = make([]byte, 4)
			if _, err := io.ReadFull(r, mask); err != nil {
				return nil, err
			}
		}
		if n > 16<<20 {
			return nil, fmt.Errorf("websocket frame of %d bytes", n)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, err
		}
		for i := range payload {
			if mask != nil {
				payload[i] ^= mask[i%4]
			}
		}
		switch {
		case opcode == 0x8:
			return nil, fmt.Errorf("the server closed the websocket: %q", payload)
		case opcode >= 0x8: // ping, pong
			continue
		}
		msg = append(msg, payload...)
		if fin {
			return msg, nil
		}
	}
}
