package motoserver

import "testing"

// StartT starts moto for a test and stops it when the test ends. A missing
// moto fails the test with a message saying what to install; it never skips.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatalf("moto is required for this test: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}
