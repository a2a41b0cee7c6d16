package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealth is a container health check for images without a shell or
// curl: GET each URL and exit non-zero unless every answer is 2xx.
func runHealth(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("health", stderr)
	var timeout time.Duration
	fs.DurationVar(&timeout, "timeout", 5*time.Second, "time allowed for each request")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: systemuser health [flags] URL...  (exit 0 when every URL answers 2xx)")
		fs.PrintDefaults()
	}
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("health: want at least one URL")
	}
	hc := &http.Client{Timeout: timeout}
	for _, u := range fs.Args() {
		if err := checkURL(u); err != nil {
			return fmt.Errorf("health: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return fmt.Errorf("health: %w", err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("health: %w", err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("health: %s answered %s", u, resp.Status)
		}
	}
	return nil
}
