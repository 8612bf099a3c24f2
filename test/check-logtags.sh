#!/bin/sh
# Every log message carries a unique MHnnnnn tag (see mod_mapihttp/mh_log.h):
# fails when a number is used by two messages, or a message has none.
set -e
src="${MH_SRC_DIR:-$(dirname "$0")/..}"
files=$(find "$src/mod_mapihttp" "$src/backends" "$src/tools" -name '*.c' 2>/dev/null || true)
files="$files $(find "$src/include" -name '*.h' 2>/dev/null || true)"
[ -n "$(echo $files)" ] || { echo "not ok - no sources under $src"; exit 1; }
dups=$(grep -ho 'MHLOGNO([0-9]*)' $files | sort | uniq -d)
if [ -n "$dups" ]; then
    echo "duplicate log tags:"; echo "$dups"; exit 1
fi
# every mh_log / ap_log_*error call must use MHLOGNO within its first two lines
untagged=$(for f in $files; do
    awk -v f="$f" '/(mh_log|ap_log_rerror|ap_log_error|ap_log_perror)\(/ {
        buf=$0; if ($0 !~ /;[[:space:]]*$/ && (getline nxt) > 0) buf=buf nxt
        if (buf !~ /MHLOGNO/ && buf !~ /^[[:space:]]*(static |void |\*)/ && buf !~ /log_sink|mh_log_set_sink|define/) print f": "$0 }' "$f"
done)
if [ -n "$untagged" ]; then
    echo "log calls without an MHLOGNO tag:"; echo "$untagged"; exit 1
fi
n=$(grep -ho 'MHLOGNO([0-9]*)' $files | sort -u | wc -l)
[ "$n" -gt 0 ] || { echo "not ok - no log tags found under $src"; exit 1; }
echo "ok - $n unique log tags"
