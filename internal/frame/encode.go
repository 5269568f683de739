package frame

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"time"
)

func init() {
	// Cells are held as interface values; gob needs their concrete types
	// registered (the basic kinds are, time.Time is not).
	gob.Register(time.Time{})
}

// Encode turns a frame into bytes that Decode turns back into an equal
// frame: column names, types and declarations, every cell with its Go type
// (float64, int64, string, bool, time.Time with its offset, nil), and
// Truncated. The store keeps results in this form.
func Encode(f *Frame) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(f); err != nil {
		return nil, fmt.Errorf("frame: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode reads a frame written by Encode.
func Decode(b []byte) (*Frame, error) {
	var f Frame
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&f); err != nil {
		return nil, fmt.Errorf("frame: decode: %w", err)
	}
	if f.Rows == nil {
		f.Rows = [][]any{}
	}
	return &f, nil
}
