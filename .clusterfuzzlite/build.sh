#!/bin/bash -eu
# ClusterFuzzLite runs this in $SRC/webserv; the OSS-Fuzz script does the work.
exec bash fuzz/oss-fuzz/build.sh
