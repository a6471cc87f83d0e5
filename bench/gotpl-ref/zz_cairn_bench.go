// Benchmark harness added to the Go reference renderer when hack/build-gotpl-ref.sh
// builds it (it is not part of the reference itself): `gotpl-ref bench-chart
// ROUNDS CHART [--name N] [--namespace NS] [--kube-version V] [-f FILE]... [--include-crds]`
// loads and renders the chart ROUNDS times in one process, as cairn's
// render_bench does, and prints the seconds spent in the loop.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func init() {
	if len(os.Args) < 4 || os.Args[1] != "bench-chart" {
		return
	}
	rounds, err := strconv.Atoi(os.Args[2])
	if err != nil || rounds < 1 {
		die("bench-chart: bad ROUNDS %q", os.Args[2])
	}
	chart := os.Args[3]
	o := renderOptions{releaseName: "release-name", namespace: "default", revision: 1}
	var valueFiles []string
	args := os.Args[4:]
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--name":
			i++
			o.releaseName = args[i]
		case "--namespace", "-n":
			i++
			o.namespace = args[i]
		case "--kube-version":
			i++
			o.kubeVersion = args[i]
		case "-f", "--values":
			i++
			valueFiles = append(valueFiles, args[i])
		case "--include-crds":
			o.includeCRDs = true
		default:
			die("bench-chart: unknown argument %s", args[i])
		}
	}
	start := time.Now()
	bytes := 0
	for r := 0; r < rounds; r++ {
		// Values files are read every round: cairn's loop does the same work.
		vals := map[string]interface{}{}
		for _, p := range valueFiles {
			data, err := os.ReadFile(p)
			if err != nil {
				die("%v", err)
			}
			m, err := readValues(data)
			if err != nil {
				die("failed to parse %s: %v", p, err)
			}
			vals = mergeMaps(vals, m)
		}
		out, err := renderChart(chart, vals, o)
		if err != nil {
			die("%v", err)
		}
		bytes += len(out)
	}
	fmt.Printf("%.6f %d\n", time.Since(start).Seconds(), bytes)
	os.Exit(0)
}
