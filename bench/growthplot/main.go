// Command growthplot draws the curve of BenchmarkGrowth (package bench) as
// an SVG: ingest rate and lookup p99 latency against the number of records
// in the store, on a logarithmic axis.
//
//	go run ./bench/growthplot -o bin/growth.svg bin/growth.csv
//
// The CSV is the one the benchmark writes to CUSTOS_BENCH_GROWTH_CSV.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// series is one line of a panel: a CSV column against records.
type series struct {
	column, label, color string
}

// panel is one chart.
type panel struct {
	title  string
	lines  []series
	values [][]float64 // per line, per row
}

const (
	width, height = 360, 240 // one panel
	margin        = 50
)

func main() {
	out := flag.String("o", "growth.svg", "output SVG")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: growthplot -o out.svg growth.csv")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out); err != nil {
		fmt.Fprintln(os.Stderr, "growthplot:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	if len(rows) < 2 {
		return fmt.Errorf("%s: no data rows", in)
	}
	panels := []panel{
		{title: "ingest, 4 KiB x 64 clients (evidence/s)", lines: []series{{"ingest_per_s", "ingest/s", "#1f77b4"}}},
		{title: "lookup p99 latency (ms), 16 clients", lines: []series{
			{"id_p99_ms", "GET /evidence/{id}", "#d62728"},
			{"sha_p99_ms", "GET /lookup?sha256=", "#2ca02c"},
			{"ingest_p99_ms", "ingest", "#1f77b4"},
		}},
	}
	records, err := column(rows, "records")
	if err != nil {
		return err
	}
	for i := range panels {
		for _, s := range panels[i].lines {
			v, err := column(rows, s.column)
			if err != nil {
				return err
			}
			panels[i].values = append(panels[i].values, v)
		}
	}
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	draw(w, records, panels)
	return w.Close()
}

// column returns a numeric CSV column by its header name.
func column(rows [][]string, name string) ([]float64, error) {
	idx := -1
	for i, h := range rows[0] {
		if h == name {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("no column %q", name)
	}
	var out []float64
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[idx], 64)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func draw(w io.Writer, records []float64, panels []panel) {
	total := len(panels) * (width + margin)
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n",
		total+margin, height+2*margin)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	lo, hi := math.Log10(records[0]), math.Log10(records[len(records)-1])
	if hi-lo < 1 {
		hi = lo + 1
	}
	for i, p := range panels {
		drawPanel(w, float64(margin+i*(width+margin)), records, lo, hi, p)
	}
	fmt.Fprintln(w, "</svg>")
}

func drawPanel(w io.Writer, x0 float64, records []float64, lo, hi float64, p panel) {
	y0 := float64(margin)
	top := 0.0
	for _, v := range p.values {
		for _, y := range v {
			top = math.Max(top, y)
		}
	}
	top = niceCeil(top)
	px := func(r float64) float64 { return x0 + (math.Log10(r)-lo)/(hi-lo)*width }
	py := func(v float64) float64 { return y0 + height - v/top*height }
	fmt.Fprintf(w, `<text x="%.0f" y="%.0f" font-size="13">%s</text>`+"\n", x0, y0-20, p.title)
	fmt.Fprintf(w, `<rect x="%.0f" y="%.0f" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", x0, y0, width, height)
	for d := math.Ceil(lo); d <= hi; d++ {
		x := px(math.Pow(10, d))
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/><text x="%.1f" y="%.0f" text-anchor="middle">10^%.0f</text>`+"\n",
			x, y0, x, y0+height, x, y0+height+15, d)
	}
	for _, f := range []float64{0, 0.5, 1} {
		fmt.Fprintf(w, `<text x="%.0f" y="%.1f" text-anchor="end">%g</text>`+"\n", x0-4, py(f*top)+4, f*top)
	}
	fmt.Fprintf(w, `<text x="%.0f" y="%.0f" text-anchor="middle">records in the store</text>`+"\n", x0+width/2, y0+height+32)
	for i, s := range p.lines {
		var pts []string
		for j, v := range p.values[i] {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(records[j]), py(v)))
			fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(records[j]), py(v), s.color)
		}
		fmt.Fprintf(w, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), s.color)
		fmt.Fprintf(w, `<text x="%.0f" y="%.0f" fill="%s">%s</text>`+"\n", x0+8, y0+15+float64(i)*14, s.color, s.label)
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
