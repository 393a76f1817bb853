/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "address.h"

/* A hash map from Address to a pointer, chained, growing by doubling. */
typedef struct AddrMapNode AddrMapNode;

typedef struct AddrMap {
        AddrMapNode **buckets;
        size_t n_buckets;
        size_t n;
} AddrMap;

void *addrmap_get(const AddrMap *m, const Address *a);
int addrmap_put(AddrMap *m, const Address *a, void *value);    /* -EEXIST if present */
void *addrmap_remove(AddrMap *m, const Address *a);
void addrmap_done(AddrMap *m);

/* Iteration: for (AddrMapIter i = {}; addrmap_next(m, &i, &value); ) */
typedef struct AddrMapIter {
        size_t bucket;
        AddrMapNode *node;
} AddrMapIter;
int addrmap_next(const AddrMap *m, AddrMapIter *i, void **ret_value);
