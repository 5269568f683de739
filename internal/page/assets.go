package page

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/chart"
)

// asset is one embedded file, kept plain and gzipped in memory.
type asset struct {
	body, gz []byte
	ctype    string
	etag     string
}

// AssetServer serves every file under /assets/, addressed by name, gzipped
// for clients that accept it. Pages link to /assets/{version}/name: the
// version is a hash of all assets, so those URLs can be cached for a year.
type AssetServer struct {
	files   map[string]*asset
	version string
}

// NewAssetServer loads the embedded assets.
func NewAssetServer() (*AssetServer, error) {
	set := &AssetServer{files: map[string]*asset{}}
	all := sha256.New()
	fsys := Assets()
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if name == "app.js" {
			// The page script formats numbers with the server's own
			// algorithm (chart.FormatJS), so the two always agree.
			body = append([]byte(chart.FormatJS+"\n"), body...)
		}
		sum := sha256.Sum256(body)
		all.Write(sum[:])
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" || strings.HasPrefix(path.Base(name), "LICENSE") || strings.HasPrefix(path.Base(name), "NOTICE") || path.Base(name) == "VERSION" {
			ctype = "text/plain; charset=utf-8"
		}
		a := &asset{body: body, gz: gz.Bytes(), ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		set.files[name] = a
		// echarts.min.js is also served at the top level, where pages load it.
		if name == "echarts/echarts.min.js" {
			set.files["echarts.min.js"] = a
		}
	}
	set.version = hex.EncodeToString(all.Sum(nil)[:6])
	return set, nil
}

// Base is the URL prefix pages use for assets.
func (a *AssetServer) Base() string { return "/assets/" + a.version }

// Register adds the asset routes to r.
func (a *AssetServer) Register(r *mux.Router) {
	r.Handle("/assets/{version:[0-9a-f]{12}}/{name:.+}", a).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/assets/{name:.+}", a).Methods(http.MethodGet, http.MethodHead)
}

// ServeHTTP serves one asset; routes must set the "name" variable.
func (a *AssetServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	f, ok := a.files[vars["name"]]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if vars["version"] == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if strings.TrimSpace(strings.SplitN(part, ";", 2)[0]) == "gzip" {
			return true
		}
	}
	return false
}
