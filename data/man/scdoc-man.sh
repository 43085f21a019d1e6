#!/bin/sh
# scdoc-man.sh SCDOC VERSION INPUT OUTPUT: a manual page from its scdoc source.
#
# @VERSION@ in the source becomes the version. In the roff that scdoc writes,
# every "-" of the text (not of the requests) becomes "\-", which man prints
# as the ASCII hyphen-minus on Debian and never breaks a line at, so options,
# model names and paths print (and copy) as they are typed (the motions of
# scdoc's lists, \h'-04', are left alone); and hyphenation
# stays off (scdoc turns it off before .TH, where groff's man macros turn it
# back on).
set -eu

scdoc=$1
version=$2
input=$3
output=$4

trap 'rm -f "$output.scd" "$output.roff" "$output.tmp"' EXIT
sed "s/@VERSION@/$version/g" "$input" > "$output.scd"
"$scdoc" < "$output.scd" > "$output.roff"
sed -e "/^[.']/!s/-/\\\\-/g" -e "s/\\\\h'\\\\-/\\\\h'-/g" \
    -e '/^\.TH /a\' -e '.nh' "$output.roff" > "$output.tmp"
mv "$output.tmp" "$output"
