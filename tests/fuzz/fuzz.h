/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point; tests/fuzz/replay.c drives it without libFuzzer. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
