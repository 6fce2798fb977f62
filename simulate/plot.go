package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/shinyfargate/shiny-cdktf/internal/simulation"
)

var (
	grey   = color.RGBA{150, 150, 150, 255}
	red    = color.RGBA{200, 30, 30, 255}
	blue   = color.RGBA{30, 80, 200, 255}
	green  = color.RGBA{20, 140, 60, 255}
	orange = color.RGBA{230, 130, 0, 255}
)

// window is the part of the trace a plot shows: all of it, or for traces
// longer than a day and a half the first day with sessions (07:00-19:00 of
// the trace's clock when that holds every session of the day).
func window(tr simulation.Trace) (from, to time.Duration, label string) {
	d := tr.Duration()
	if d <= 36*time.Hour {
		return 0, d + 30*time.Minute, ""
	}
	first := tr.Sessions[0].Start
	day := tr.Start.Add(first).Truncate(24 * time.Hour).Sub(tr.Start)
	return day + 7*time.Hour, day + 19*time.Hour, " (first day, 07:00-19:00)"
}

func line(samples []simulation.Sample, from, to time.Duration, y func(simulation.Sample) float64, c color.Color, dashed bool) *plotter.Line {
	var xys plotter.XYs
	for _, s := range samples {
		if s.At < from || s.At > to {
			continue
		}
		xys = append(xys, plotter.XY{X: s.At.Hours(), Y: y(s)})
	}
	// Keep only the ends of flat runs: the same line, a fraction of the file.
	var kept plotter.XYs
	for i, p := range xys {
		if i == 0 || i == len(xys)-1 || p.Y != xys[i-1].Y || p.Y != xys[i+1].Y {
			kept = append(kept, p)
		}
	}
	l, _ := plotter.NewLine(kept)
	l.Color = c
	l.Width = vg.Points(1.2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	return l
}

// plotResults draws, per policy, the open sessions, the busiest task's
// sessions and the threshold (left), and the running tasks against the
// oracle (right), to an .svg or .png file.
func plotResults(path string, tr simulation.Trace, results []simulation.Result, threshold int) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "svg" && format != "png" {
		return fmt.Errorf("-plot %q: must end in .svg or .png", path)
	}
	from, to, label := window(tr)
	rows := make([][]*plot.Plot, len(results))
	for i, r := range results {
		left := plot.New()
		left.Title.Text = fmt.Sprintf("%s, %s%s: sessions", tr.Name, r.Name, label)
		left.X.Label.Text = "hours from trace start"
		left.Y.Label.Text = "sessions"
		left.Y.Min = 0
		all := line(r.Series, from, to, func(s simulation.Sample) float64 { return float64(s.Sessions) }, grey, false)
		busy := line(r.Series, from, to, func(s simulation.Sample) float64 { return float64(s.Busiest) }, red, false)
		th := line(r.Series, from, to, func(simulation.Sample) float64 { return float64(threshold) }, orange, true)
		left.Add(all, busy, th, plotter.NewGrid())
		left.Legend.Add("open sessions", all)
		left.Legend.Add("busiest task", busy)
		left.Legend.Add("scale-out threshold", th)
		left.Legend.Top = true

		right := plot.New()
		right.Title.Text = fmt.Sprintf("%s, %s: tasks", tr.Name, r.Name)
		right.X.Label.Text = "hours from trace start"
		right.Y.Label.Text = "tasks"
		right.Y.Min = 0
		tasks := line(r.Series, from, to, func(s simulation.Sample) float64 { return float64(s.Tasks) }, blue, false)
		serving := line(r.Series, from, to, func(s simulation.Sample) float64 { return float64(s.Serving) }, green, false)
		oracle := line(r.Series, from, to, func(s simulation.Sample) float64 { return float64(s.OracleTasks) }, grey, true)
		right.Add(tasks, serving, oracle, plotter.NewGrid())
		right.Legend.Add("running (billed)", tasks)
		right.Legend.Add("serving", serving)
		right.Legend.Add("oracle", oracle)
		right.Legend.Top = true
		rows[i] = []*plot.Plot{left, right}
	}
	w, h := 28*vg.Centimeter, vg.Length(len(results))*7*vg.Centimeter
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: len(results), Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(rows, tiles, draw.New(c))
	for i := range rows {
		for j := range rows[i] {
			rows[i][j].Draw(canvases[i][j])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
