/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "addrmap.h"

struct AddrMapNode {
        Address key;
        void *value;
        AddrMapNode *next;
};

static size_t hash(const Address *a) {
        /* FNV-1a over family and address bytes */
        uint64_t h = 0xcbf29ce484222325ULL;
        size_t n = a->family == AF_INET ? 4 : 16;

        h = (h ^ (uint64_t) a->family) * 0x100000001b3ULL;
        for (size_t i = 0; i < n; i++)
                h = (h ^ a->bytes[i]) * 0x100000001b3ULL;
        return (size_t) h;
}

static AddrMapNode **find(const AddrMap *m, const Address *a) {
        AddrMapNode **p;

        if (m->n_buckets == 0)
                return NULL;
        for (p = &m->buckets[hash(a) & (m->n_buckets - 1)]; *p; p = &(*p)->next)
                if (address_equal(&(*p)->key, a))
                        return p;
        return NULL;
}

void *addrmap_get(const AddrMap *m, const Address *a) {
        AddrMapNode **p = find(m, a);

        return p ? (*p)->value : NULL;
}

static int grow(AddrMap *m) {
        size_t n = m->n_buckets ? m->n_buckets * 2 : 64;
        AddrMapNode **b = calloc(n, sizeof(AddrMapNode *));

        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_buckets; i++)
                while (m->buckets[i]) {
                        AddrMapNode *node = m->buckets[i];
                        m->buckets[i] = node->next;
                        size_t k = hash(&node->key) & (n - 1);
                        node->next = b[k];
                        b[k] = node;
                }
        free(m->buckets);
        m->buckets = b;
        m->n_buckets = n;
        return 0;
}

int addrmap_put(AddrMap *m, const Address *a, void *value) {
        AddrMapNode *node;
        size_t k;

        if (find(m, a))
                return -EEXIST;
        if (m->n >= m->n_buckets * 3 / 4 && grow(m) < 0)
                return -ENOMEM;
        node = malloc(sizeof(AddrMapNode));
        if (!node)
                return -ENOMEM;
        k = hash(a) & (m->n_buckets - 1);
        *node = (AddrMapNode) { .key = *a, .value = value, .next = m->buckets[k] };
        m->buckets[k] = node;
        m->n++;
        return 0;
}

void *addrmap_remove(AddrMap *m, const Address *a) {
        AddrMapNode **p = find(m, a), *node;
        void *value;

        if (!p)
                return NULL;
        node = *p;
        *p = node->next;
        value = node->value;
        free(node);
        m->n--;
        return value;
}

void addrmap_done(AddrMap *m) {
        for (size_t i = 0; i < m->n_buckets; i++)
                while (m->buckets[i]) {
                        AddrMapNode *node = m->buckets[i];
                        m->buckets[i] = node->next;
                        free(node);
                }
        free(m->buckets);
        *m = (AddrMap) {};
}

int addrmap_next(const AddrMap *m, AddrMapIter *i, void **ret_value) {
        if (i->node)
                i->node = i->node->next;
        while (!i->node) {
                if (i->bucket >= m->n_buckets)
                        return 0;
                i->node = m->buckets[i->bucket++];
        }
        *ret_value = i->node->value;
        return 1;
}
