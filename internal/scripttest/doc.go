// Package scripttest tests the project's shell scripts (scripts/*.sh) and the
// files of the Shiny image (docker/shiny) from the outside: it runs them as a
// user would and checks what they print, write and exit with.
package scripttest
