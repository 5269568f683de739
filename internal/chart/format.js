// opsboardFormat(spec, value) formats a number by a spec that opsboard's Go
// code made (chart.Spec), so the browser writes every number exactly as the
// server does. chart.Spec.Format is the same algorithm in Go; a test runs a
// table of values through both, in Chromium, and compares.
var opsboardFormat = (function () {
  "use strict";
  // fixed rounds the shortest decimal form of a (>= 0) half up to d digits.
  function fixed(a, d) {
    if (a < 1e-6) a = 0;
    var s = String(a);
    if (s.indexOf("e") >= 0) s = a.toFixed(0);
    var dot = s.indexOf("."), ip = dot < 0 ? s : s.slice(0, dot), fp = dot < 0 ? "" : s.slice(dot + 1);
    if (fp.length <= d) {
      while (fp.length < d) fp += "0";
      return d > 0 ? ip + "." + fp : ip;
    }
    var digits = (ip + fp.slice(0, d)).split("");
    if (fp.charAt(d) >= "5") {
      var i = digits.length - 1;
      for (; i >= 0; i--) {
        if (digits[i] === "9") { digits[i] = "0"; } else { digits[i] = String(Number(digits[i]) + 1); break; }
      }
      if (i < 0) digits.unshift("1");
    }
    var n = digits.length - d;
    return d > 0 ? digits.slice(0, n).join("") + "." + digits.slice(n).join("") : digits.join("");
  }
  function group(s) {
    var dot = s.indexOf("."), ip = dot < 0 ? s : s.slice(0, dot), rest = dot < 0 ? "" : s.slice(dot);
    var out = "";
    while (ip.length > 3) { out = "," + ip.slice(-3) + out; ip = ip.slice(0, -3); }
    return ip + out + rest;
  }
  return function (spec, v) {
    var empty = spec.empty || "";
    if (v === null || v === undefined || v === "" || typeof v === "boolean") return empty;
    var x = Number(v);
    if (!isFinite(x)) return empty;
    x = x * (spec.scale || 1);
    var neg = x < 0, a = Math.abs(x), d = spec.decimals || 0, trim = !!spec.trim, letter = "";
    if (spec.compact && a >= 1e5) {
      if (a >= 1e9) { a = a / 1e9; letter = "B"; } else if (a >= 1e6) { a = a / 1e6; letter = "M"; } else { a = a / 1e3; letter = "K"; }
      d = 1; trim = true;
    } else if (spec.whole && (a >= spec.whole || a === Math.floor(a))) {
      d = 0;
    }
    var s = fixed(a, d);
    if (trim && s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    if (spec.group) s = group(s);
    var sign = neg && /[1-9]/.test(s) ? "-" : "";
    return sign + (spec.prefix || "") + s + letter + (spec.suffix || "");
  };
})();
