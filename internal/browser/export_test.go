package browser

// WarmTab tells the external tests which page the kept tab shows and
// whether it still answers; ok is false when no tab is kept.
func (b *Browser) WarmTab() (url string, answers, ok bool) {
	select {
	case t := <-b.warm:
		b.warm <- t
		return t.url, alive(t), true
	default:
		return "", false, false
	}
}
