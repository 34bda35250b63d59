// The pod sandbox ("pause") process of the local fleet's real nodes: it holds the pod's namespaces open, reaps
// orphaned processes re-parented to it as PID 1, and exits 0 on SIGINT or SIGTERM. Built static (CGO_ENABLED=0).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is printed by -v; hack/images sets nothing at link time, the image tag carries the content key.
const version = "1"

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "-v", "--version":
			fmt.Println("discovery-pause", version)
			return
		default:
			fmt.Fprintln(os.Stderr, "usage: pause [-v]\n  sleeps until SIGINT or SIGTERM, reaping orphaned children when it is PID 1")
			os.Exit(2)
		}
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "warning: pause should be PID 1")
	}
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	children := make(chan os.Signal, 16)
	signal.Notify(children, syscall.SIGCHLD)
	for {
		select {
		case s := <-stop:
			fmt.Fprintf(os.Stderr, "shutting down, got signal %v\n", s)
			os.Exit(0)
		case <-children:
			reap()
		}
	}
}

// reap collects every exited child without blocking; SIGCHLD notifications coalesce, so one signal may stand for
// several exits.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
