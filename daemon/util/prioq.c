/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "prioq.h"

static void swap(Prioq *q, unsigned a, unsigned b) {
        PrioqItem t = q->items[a];

        q->items[a] = q->items[b];
        q->items[b] = t;
        *q->items[a].idx = a;
        *q->items[b].idx = b;
}

static void shuffle_up(Prioq *q, unsigned i) {
        while (i > 0) {
                unsigned parent = (i - 1) / 2;
                if (q->items[parent].key <= q->items[i].key)
                        break;
                swap(q, i, parent);
                i = parent;
        }
}

static void shuffle_down(Prioq *q, unsigned i) {
        for (;;) {
                unsigned l = 2 * i + 1, r = l + 1, min = i;
                if (l < q->n && q->items[l].key < q->items[min].key)
                        min = l;
                if (r < q->n && q->items[r].key < q->items[min].key)
                        min = r;
                if (min == i)
                        return;
                swap(q, i, min);
                i = min;
        }
}

int prioq_put(Prioq *q, void *data, uint64_t key, unsigned *idx) {
        if (q->n >= q->allocated) {
                unsigned a = q->allocated ? q->allocated * 2 : 64;
                PrioqItem *items = reallocarray(q->items, a, sizeof(PrioqItem));
                if (!items)
                        return -ENOMEM;
                q->items = items;
                q->allocated = a;
        }
        q->items[q->n] = (PrioqItem) { .data = data, .key = key, .idx = idx };
        *idx = q->n++;
        shuffle_up(q, *idx);
        return 0;
}

void prioq_remove(Prioq *q, unsigned *idx) {
        unsigned i = *idx;

        if (i == PRIOQ_IDX_NULL || i >= q->n)
                return;
        *idx = PRIOQ_IDX_NULL;
        q->n--;
        if (i == q->n)
                return;
        q->items[i] = q->items[q->n];
        *q->items[i].idx = i;
        shuffle_up(q, i);
        shuffle_down(q, *q->items[i].idx);
}

void prioq_reshuffle(Prioq *q, uint64_t key, unsigned *idx) {
        unsigned i = *idx;

        if (i == PRIOQ_IDX_NULL || i >= q->n)
                return;
        q->items[i].key = key;
        shuffle_up(q, i);
        shuffle_down(q, *q->items[i].idx);
}

void *prioq_peek(const Prioq *q, uint64_t *ret_key) {
        if (q->n == 0)
                return NULL;
        if (ret_key)
                *ret_key = q->items[0].key;
        return q->items[0].data;
}

void prioq_done(Prioq *q) {
        free(q->items);
        *q = (Prioq) {};
}
