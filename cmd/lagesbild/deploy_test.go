package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks the shipped unit with systemd-analyze verify (skipped where systemd
// is not installed). verify exits 0 on an unknown key or a bad value and only says so, so any
// complaint about the unit fails the test. ExecStart points at a stand-in executable: verify
// requires it to exist.
func TestSystemdUnit(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (no systemd here): the unit deploy/lagesbild.service is not verified")
	}
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "lagesbild.service"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stand := filepath.Join(dir, "lagesbild")
	if err := os.WriteFile(stand, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unit, []byte("ExecStart=/usr/local/bin/lagesbild serve")) {
		t.Fatalf("the unit does not start /usr/local/bin/lagesbild serve")
	}
	path := filepath.Join(dir, "lagesbild.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/lagesbild"), []byte(stand)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "verify", path).CombinedOutput()
	var complaints []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "lagesbild.service") {
			complaints = append(complaints, line)
		}
	}
	if err != nil || len(complaints) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
