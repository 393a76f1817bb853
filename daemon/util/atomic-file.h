/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Replace dir/name with data so that a reader, or a crash at any moment,
 * sees the old file or the new one, never half of either: a temporary file
 * dir/.name.tmp (created afresh, never through a symlink or a FIFO left
 * there), fsync, rename, fsync of the directory. 0 or a negative errno. */
int write_file_atomic(const char *dir, const char *name, const void *data, size_t size, mode_t mode);
