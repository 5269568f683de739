package page

import (
	"math"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

// sign returns "+" for positive numbers, "−" for negative ones, "" for zero.
func sign(x float64) string {
	switch {
	case x > 0:
		return "+"
	case x < 0:
		return "−"
	}
	return ""
}

// signed formats x with a sign and the given decimals: "+2.1", "−0.4".
func signed(x float64, decimals int) string {
	return sign(x) + strconv.FormatFloat(math.Abs(x), 'f', decimals, 64)
}
