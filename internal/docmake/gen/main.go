// Command gen writes the project's test documents and detector export for
// the README's examples: a scanned PDF of rendered pages, a multi-page
// TIFF, and a folder holding only a YOLO-layout export with Ultralytics'
// metadata (it finds red and green patches).
//
//	go run ./internal/docmake/gen --out /tmp/docs
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"

	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"golang.org/x/image/tiff"
)

func main() {
	out := flag.String("out", "docs-sample", "folder to write scan.pdf, page.tiff, photo.jpg and boxes/ into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	boxes := filepath.Join(out, "boxes")
	if err := os.MkdirAll(boxes, 0o755); err != nil {
		return err
	}
	pages := textimg.Pages(3, 7)
	pdf, err := docmake.ScannedPDF(pages[0].Data, pages[1].Data, pages[2].Data)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "scan.pdf"), pdf, 0o644); err != nil {
		return err
	}
	first, _, err := image.Decode(bytes.NewReader(pages[0].Data))
	if err != nil {
		return err
	}
	var t bytes.Buffer
	if err := tiff.Encode(&t, first, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "page.tiff"), t.Bytes(), 0o644); err != nil {
		return err
	}
	photo := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(photo, photo.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	draw.Draw(photo, image.Rect(200, 150, 420, 370), image.NewUniform(color.RGBA{255, 0, 0, 255}), image.Point{}, draw.Src)
	draw.Draw(photo, image.Rect(800, 300, 1100, 600), image.NewUniform(color.RGBA{0, 255, 0, 255}), image.Point{}, draw.Src)
	var j bytes.Buffer
	if err := jpeg.Encode(&j, photo, &jpeg.Options{Quality: 95}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "photo.jpg"), j.Bytes(), 0o644); err != nil {
		return err
	}
	if err := docmake.MakeYOLO(boxes, 640, 64, 32); err != nil {
		return err
	}
	for _, f := range []string{"v8dyn.onnx", "v5.onnx", "nms.onnx"} { // one export per folder, as `yolo export` leaves it
		if err := os.Remove(filepath.Join(boxes, f)); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %s/scan.pdf (3 pages), %s/page.tiff, %s/photo.jpg and %s/v8.onnx\n", out, out, out, boxes)
	return nil
}
