# Prints an lcov tracefile as a table (lines, branches, functions per file)
# and checks the gates. Variables (awk -v):
#   root       prefix stripped from file names
#   sdk_gate   "lines branches functions" minimum percentages for xbl_mpsd.h
#   port_gate  the same for every port/*.h
#   expect     space-separated files that must appear (a header no test
#              executes at all is absent from the tracefile: that fails too)
# Exit status 1 when a file is missing or below its gate.

function pct(hit, found) { return found ? 100.0 * hit / found : 100.0 }

/^SF:/ { file = substr($0, 4); sub("^" root, "", file); files[++n] = file }
/^LF:/ { lf[file] = substr($0, 4) }
/^LH:/ { lh[file] = substr($0, 4) }
/^BRF:/ { bf[file] = substr($0, 5) }
/^BRH:/ { bh[file] = substr($0, 5) }
/^FNF:/ { ff[file] = substr($0, 5) }
/^FNH:/ { fh[file] = substr($0, 5) }

END {
    bad = 0
    printf "%-34s %17s %17s %15s  %s\n", "file", "lines", "branches", "functions", "gate (l/b/f %)"
    for (i = 1; i <= n; i++) {
        f = files[i]
        split(f == "xbl_mpsd.h" ? sdk_gate : port_gate, g, " ")
        l = pct(lh[f], lf[f]); b = pct(bh[f], bf[f]); fn = pct(fh[f], ff[f])
        verdict = (l + 1e-9 < g[1] || b + 1e-9 < g[2] || fn + 1e-9 < g[3]) ? "FAIL" : "ok"
        if (verdict == "FAIL") bad = 1
        printf "%-34s %6.1f%% %4d/%-4d %6.1f%% %4d/%-4d %6.1f%% %3d/%-3d  %s/%s/%s %s\n", f,
               l, lh[f], lf[f], b, bh[f], bf[f], fn, fh[f], ff[f], g[1], g[2], g[3], verdict
        seen[f] = 1
    }
    m = split(expect, want, " ")
    for (i = 1; i <= m; i++)
        if (!(want[i] in seen)) { printf "%-34s not executed by any test  FAIL\n", want[i]; bad = 1 }
    if (bad) { print "coverage: FAILED (below the gate; add tests, do not lower the gate)"; exit 1 }
    print "coverage: gate passed"
}
