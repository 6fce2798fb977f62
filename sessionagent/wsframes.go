package main

import (
	"encoding/binary"
	"encoding/json"
	"strings"
)

// What counts as a user's activity on a Shiny session.
//
// Shiny's browser client (shiny.js; read in shiny 1.7.4 and 1.10.0) sends
// JSON text messages: {"method":"init",...} once, {"method":"update","data":
// {...}} with input values, and requests such as file uploads (binary
// messages). It has no heartbeat of its own. What it sends without the user
// doing anything are "update" messages whose values are all ".clientdata_*"
// (output sizes and visibility, pixel ratio, URL), sent when the layout
// changes, e.g. after the server re-renders an output. Websocket control
// frames (ping, pong, close) are the peers' keep-alive. So a user's activity
// is a complete data message from the browser that is not a ".clientdata_"
// only update. An app whose own JavaScript sets inputs on a timer keeps its
// sessions active; that is the app's choice.

// maxInspected is the longest message the scanner looks into; longer ones
// (uploads, large inputs) count as activity without being parsed.
const maxInspected = 16 << 10

// Websocket opcodes (RFC 6455 section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
)

// frameScanner follows the frames a browser sends (client to server, so
// masked) through arbitrarily split reads, and reports each complete data
// message that is a user's activity. It keeps no buffer between messages:
// while a session is idle it holds a few dozen bytes.
type frameScanner struct {
	hdr    [14]byte
	hdrLen int // bytes of the current frame header seen so far

	left    uint64 // payload bytes of the current frame still to come
	mask    [4]byte
	maskPos int
	control bool // the current frame is a control frame
	fin     bool // the current frame ends its message

	msgOp   byte   // opcode of the message in progress (text or binary)
	msg     []byte // its first maxInspected bytes, unmasked
	msgSize uint64

	broken bool // framing not understood: every read counts as activity
}

// feed consumes the next bytes of the stream and reports whether at least
// one user message ended in them.
func (s *frameScanner) feed(p []byte) (activity bool) {
	if s.broken {
		return len(p) > 0
	}
	for len(p) > 0 {
		if s.left == 0 && s.hdrLen >= 0 && !s.headerDone() {
			n := s.readHeader(p)
			p = p[n:]
			if s.broken {
				return true
			}
			if !s.headerDone() {
				return activity
			}
			if s.left == 0 && s.endFrame() {
				activity = true
			}
			continue
		}
		n := min(uint64(len(p)), s.left)
		if !s.control && uint64(len(s.msg)) < maxInspected {
			take := min(n, maxInspected-uint64(len(s.msg)))
			for _, b := range p[:take] {
				s.msg = append(s.msg, b^s.mask[s.maskPos&3])
				s.maskPos++
			}
		}
		if !s.control {
			s.msgSize += n
		}
		s.left -= n
		p = p[n:]
		if s.left == 0 && s.endFrame() {
			activity = true
		}
	}
	return activity
}

// headerDone tells whether the current frame's header is complete.
func (s *frameScanner) headerDone() bool {
	return s.hdrLen >= 2 && s.hdrLen == headerLen(s.hdr[0], s.hdr[1])
}

func headerLen(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// readHeader takes header bytes from p and returns how many it took. When
// the header is complete it sets up the payload state.
func (s *frameScanner) readHeader(p []byte) int {
	taken := 0
	for taken < len(p) {
		if s.hdrLen >= 2 && s.hdrLen == headerLen(s.hdr[0], s.hdr[1]) {
			break
		}
		s.hdr[s.hdrLen] = p[taken]
		s.hdrLen++
		taken++
	}
	if !s.headerDone() {
		return taken
	}
	b0, b1 := s.hdr[0], s.hdr[1]
	op := b0 & 0x0f
	s.fin = b0&0x80 != 0
	s.control = op >= opClose
	length := uint64(b1 & 0x7f)
	rest := s.hdr[2:s.hdrLen]
	switch length {
	case 126:
		length = uint64(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
	case 127:
		length = binary.BigEndian.Uint64(rest)
		rest = rest[8:]
	}
	masked := b1&0x80 != 0
	switch {
	case b0&0x70 != 0, // RSV bits: an extension (compression) we did not negotiate
		!masked, // browsers mask every frame
		s.control && (!s.fin || length > 125),
		!s.control && op != opContinuation && op != opText && op != opBinary,
		op == opContinuation && s.msgOp == 0,
		(op == opText || op == opBinary) && s.msgOp != 0:
		s.broken = true
		return taken
	}
	copy(s.mask[:], rest)
	if !s.control {
		if op != opContinuation {
			s.msgOp, s.msg, s.msgSize = op, nil, 0
		}
		// The mask restarts with every frame.
	}
	s.maskPos = 0
	s.left = length
	return taken
}

// endFrame finishes the current frame; it reports whether a user message
// ended with it.
func (s *frameScanner) endFrame() bool {
	s.hdrLen = 0
	if s.control || !s.fin {
		return false
	}
	user := userMessage(s.msgOp, s.msg, s.msgSize > maxInspected)
	s.msgOp, s.msg, s.msgSize = 0, nil, 0
	return user
}

// userMessage decides whether a complete message from the browser is a
// user's activity (see the comment at the top of this file).
func userMessage(op byte, payload []byte, truncated bool) bool {
	if op != opText || truncated {
		return true
	}
	var m struct {
		Method string                     `json:"method"`
		Data   map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &m); err != nil || m.Method != "update" {
		return true
	}
	for k := range m.Data {
		if !strings.HasPrefix(k, ".clientdata_") {
			return true
		}
	}
	return false
}
