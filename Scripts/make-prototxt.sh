#!/bin/sh
# Regenerates prototxt/<script>/{train,test,deploy,solver}.prototxt for DSOD's six scripts and
# the demo's DSOD_tiny with the given dsodgen binary (`make prototxt`). HOME is fixed to
# /home/user, as for the reference files, because the scripts write $HOME into DetectionOutput's
# output_directory; every other path is the scripts' own or SSD's LMDB convention (DSOD_tiny's
# are relative to the demo folder). ModelZooTests fails when these are stale.
set -eu
DSODGEN=${1:?usage: sh Scripts/make-prototxt.sh path/to/dsodgen}
OUT=${2:-prototxt}

# folder (the script's name)   dsodgen arguments
SCRIPTS='
DSOD300_pascal             DSOD300
DSOD300_pascal++           DSOD300 --dataset voc0712plus
DSOD300_coco               DSOD300 --dataset coco
GRP_DSOD320_pascal         GRP_DSOD320
score_DSOD300_pascal       DSOD300 --score
score_GRP_DSOD320_pascal   GRP_DSOD320 --score
DSOD_tiny_synth            DSOD_tiny --dataset synth
'

echo "$SCRIPTS" | while read -r folder args; do
    [ -n "$folder" ] || continue
    mkdir -p "$OUT/$folder"
    for phase in train test deploy solver; do
        # shellcheck disable=SC2086  # $args is a list of words
        HOME=/home/user "$DSODGEN" $args --phase "$phase" > "$OUT/$folder/$phase.prototxt.tmp"
        mv "$OUT/$folder/$phase.prototxt.tmp" "$OUT/$folder/$phase.prototxt"
    done
    echo "wrote $OUT/$folder"
done
