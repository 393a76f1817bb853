/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A binary min-heap of items with a 64-bit key. Each item keeps its own
 * position (an unsigned int the caller stores and never touches), so that it
 * can be moved or removed in O(log n). PRIOQ_IDX_NULL means "not queued". */
#define PRIOQ_IDX_NULL ((unsigned) -1)

typedef struct PrioqItem {
        void *data;
        uint64_t key;
        unsigned *idx;
} PrioqItem;

typedef struct Prioq {
        PrioqItem *items;
        unsigned n, allocated;
} Prioq;

int prioq_put(Prioq *q, void *data, uint64_t key, unsigned *idx);
void prioq_remove(Prioq *q, unsigned *idx);
void prioq_reshuffle(Prioq *q, uint64_t key, unsigned *idx);  /* re-key a queued item */
void *prioq_peek(const Prioq *q, uint64_t *ret_key);
void prioq_done(Prioq *q);
