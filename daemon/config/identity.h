/* SPDX-License-Identifier: MIT */
#pragma once

#include "address.h"

/* One way mail leaves this host: a source address, the HELO name sent with
 * it (NULL: not known), and where we learned it ("static", "route", "dns",
 * "postfix:smtp", "exim:remote_smtp", …). */
typedef struct Identity {
        Address address;
        char *helo;
        char *source;
} Identity;

typedef struct IdentityList {
        Identity *items;
        size_t n;
        size_t allocated;       /* grows geometrically: 100,000 static addresses, one realloc each, would copy gigabytes */
} IdentityList;

/* What is known about one watched address, folded over its identities:
 * the HELO names and the sources, each sorted and once. */
typedef struct AddressInfo {
        char **helo;
        char **sources;
} AddressInfo;

void identity_list_done(IdentityList *l);
/* Copies helo and source (either may be NULL). */
int identity_list_add(IdentityList *l, const Address *a, const char *helo, const char *source);
int identity_list_append(IdentityList *l, const IdentityList *from);

/* One address each, sorted, with what its identities say folded into
 * info[i]; l is left empty. */
int identity_list_fold(IdentityList *l, Address **ret_addresses, AddressInfo **ret_info, size_t *ret_n);

void address_info_done(AddressInfo *i);
void address_infos_free(AddressInfo *i, size_t n);
bool address_info_same_helo(const AddressInfo *i, char * const *helo);
