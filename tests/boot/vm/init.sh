#!/bin/sh
echo "init from the archive"
