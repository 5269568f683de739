#!/usr/bin/env bash
# Refreshes the embedded ECharts build from the npm registry.
# The version is pinned: go-echarts targets ECharts 5.x. After changing it,
# check the dashboards in a real browser (go test ./internal/web -run Browser).
set -euo pipefail
version=5.6.0
dest=$(cd "$(dirname "$0")/.." && pwd)/internal/page/assets/echarts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@$version" >/dev/null && tar xzf "echarts-$version.tgz")
cp "$work/package/dist/echarts.min.js" "$work/package/LICENSE" "$work/package/NOTICE" "$dest/"
cp "$work/package/licenses/LICENSE-d3" "$dest/"
echo "$version" > "$dest/VERSION"
sha256sum "$dest/echarts.min.js"
