// Command proxy measures the session sidecar (./sessionagent) and nginx side
// by side in front of the same Shiny server, and Shiny directly: resident
// memory per idle websocket session, requests per second for a small
// response, and the latency of a Shiny message round trip. It is the
// measuring half of `make bench-proxy`; scripts/bench-proxy.sh starts the
// servers and passes their URLs and process ids.
//
// It is a benchmark, not a test: the numbers depend on the machine, so it
// prints them (a Markdown table) and says which goals they meet.
package main
