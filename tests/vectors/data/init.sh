#!/bin/sh
mount -t proc proc /proc
exec /bin/sh
