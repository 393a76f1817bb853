/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "macro.h"
#include "strv.h"

void identity_list_done(IdentityList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].helo);
                free(l->items[i].source);
        }
        free(l->items);
        *l = (IdentityList) {};
}

int identity_list_add(IdentityList *l, const Address *a, const char *helo, const char *source) {
        Identity *items, id = { .address = *a };

        if ((helo && !(id.helo = strdup(helo))) || (source && !(id.source = strdup(source)))) {
                free(id.helo);
                return -ENOMEM;
        }
        if (l->n == l->allocated) {
                size_t want = MAX(l->allocated * 2, (size_t) 16);
                items = reallocarray(l->items, want, sizeof(Identity));
                if (!items) {
                        free(id.helo);
                        free(id.source);
                        return -ENOMEM;
                }
                l->items = items;
                l->allocated = want;
        }
        l->items[l->n++] = id;
        return 0;
}

int identity_list_append(IdentityList *l, const IdentityList *from) {
        for (size_t i = 0; i < from->n; i++) {
                const Identity *id = &from->items[i];
                int r = identity_list_add(l, &id->address, id->helo, id->source);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int identity_compare(const void *a, const void *b) {
        return address_compare(&((const Identity *) a)->address, &((const Identity *) b)->address);
}

/* Adds s (taking it) unless it is already there. */
static int set_add(char ***set, char **s) {
        if (!*s)
                return 0;
        if (strv_contains(*set, *s)) {
                *s = mfree(*s);
                return 0;
        }
        return strv_push(set, TAKE_PTR(*s));
}

int identity_list_fold(IdentityList *l, Address **ret_addresses, AddressInfo **ret_info, size_t *ret_n) {
        Address *addresses = NULL;
        AddressInfo *info = NULL;
        size_t n = 0;
        int r = 0;

        if (l->n > 0) {
                qsort(l->items, l->n, sizeof(Identity), identity_compare);
                addresses = calloc(l->n, sizeof(Address));
                info = calloc(l->n, sizeof(AddressInfo));
                if (!addresses || !info) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        for (size_t i = 0; i < l->n; i++) {
                Identity *id = &l->items[i];

                if (n == 0 || !address_equal(&addresses[n - 1], &id->address))
                        addresses[n++] = id->address;
                r = set_add(&info[n - 1].helo, &id->helo);
                if (r >= 0)
                        r = set_add(&info[n - 1].sources, &id->source);
                if (r < 0)
                        goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                strv_sort(info[i].helo);
                strv_sort(info[i].sources);
        }
        *ret_addresses = TAKE_PTR(addresses);
        *ret_info = TAKE_PTR(info);
        *ret_n = n;
finish:
        free(addresses);
        address_infos_free(info, n);
        identity_list_done(l);
        return r;
}

void address_info_done(AddressInfo *i) {
        strv_free(i->helo);
        strv_free(i->sources);
        *i = (AddressInfo) {};
}

void address_infos_free(AddressInfo *i, size_t n) {
        for (size_t k = 0; i && k < n; k++)
                address_info_done(&i[k]);
        free(i);
}

bool address_info_same_helo(const AddressInfo *i, char * const *helo) {
        size_t n = strv_length(i->helo);

        if (n != strv_length(helo))
                return false;
        for (size_t k = 0; k < n; k++)
                if (!streq(i->helo[k], helo[k]))
                        return false;
        return true;
}
