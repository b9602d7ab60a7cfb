# Prints an lcov tracefile as a table (lines, branches, functions per file)
# and checks the gates. Variables (awk -v):
#   root    prefix stripped from file names
#   gates   space-separated "file=lines/branches/functions" minimum
#           percentages; a gated file that no test executed fails too
#   expect  space-separated files that should appear; one without a gate
#           is reported (so a new port is seen) but does not fail
# Exit status 1 when a gated file is missing or below its gate.

function pct(hit, found) { return found ? 100.0 * hit / found : 100.0 }

/^SF:/ { file = substr($0, 4); sub("^" root, "", file); if (!(file in lf)) files[++n] = file }
/^LF:/ { lf[file] = substr($0, 4) }
/^LH:/ { lh[file] = substr($0, 4) }
/^BRF:/ { bf[file] = substr($0, 5) }
/^BRH:/ { bh[file] = substr($0, 5) }
/^FNF:/ { ff[file] = substr($0, 5) }
/^FNH:/ { fh[file] = substr($0, 5) }

END {
    bad = 0
    m = split(gates, gl, " ")
    for (i = 1; i <= m; i++) { split(gl[i], kv, "="); gate[kv[1]] = kv[2] }
    printf "%-34s %17s %17s %15s  %s\n", "file", "lines", "branches", "functions", "gate l/b/f %"
    for (i = 1; i <= n; i++) {
        f = files[i]
        l = pct(lh[f], lf[f]); b = pct(bh[f], bf[f]); fn = pct(fh[f], ff[f])
        if (f in gate) {
            split(gate[f], g, "/")
            verdict = (l + 1e-9 < g[1] || b + 1e-9 < g[2] || fn + 1e-9 < g[3]) ? "FAIL" : "ok"
            shown = gate[f] " " verdict
        } else {
            verdict = "ok"
            shown = "(no gate yet)"
        }
        if (verdict == "FAIL") bad = 1
        printf "%-34s %6.1f%% %4d/%-4d %6.1f%% %4d/%-4d %6.1f%% %3d/%-3d  %s\n", f,
               l, lh[f], lf[f], b, bh[f], bf[f], fn, fh[f], ff[f], shown
        seen[f] = 1
    }
    for (f in gate)
        if (!(f in seen)) { printf "%-34s not executed by any test  FAIL\n", f; bad = 1 }
    m = split(expect, want, " ")
    for (i = 1; i <= m; i++)
        if (!(want[i] in seen) && !(want[i] in gate))
            printf "%-34s not executed by any test  (no gate yet)\n", want[i]
    if (bad) { print "coverage: FAILED (below the gate; add tests, do not lower the gate)"; exit 1 }
    print "coverage: gate passed"
}
