package motoserver

import (
	"net/http"
	"strings"
	"testing"
)

func TestStartAndStop(t *testing.T) {
	s := StartT(t)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("moto must listen on loopback, got %s", s.URL)
	}
	resp, err := http.Get(s.URL + "/moto-api/")
	if err != nil {
		t.Fatalf("moto not answering: %v", err)
	}
	resp.Body.Close()
	s.Stop()
	if _, err := http.Get(s.URL + "/moto-api/"); err == nil {
		t.Fatal("moto still answers after Stop")
	}
	s.Stop() // second call is harmless
}
