/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The raw reply, checked before anything in it decides a verdict: a response
 * (QR), to a standard query (opcode 0), not truncated, with exactly the
 * question we asked (name case-insensitively, type, class), every record the
 * header counts present and whole, names well formed (labels <= 63 octets,
 * names <= 255, compression pointers only backwards), and the rdata of the
 * types we read (A, AAAA, CNAME, PTR, NS, SOA, TXT) parsing to its exact
 * length, with nothing after the last record. Pure: no getdns, no I/O.
 * 0, or -EBADMSG with *why naming the first fault. */

#define DNS_WIRE_NAME_MAX 255

int dns_wire_validate(const uint8_t *msg, size_t size, const char *qname, uint16_t qtype, uint16_t qclass,
                      const char **why);

/* Two well-formed uncompressed wire names, case-insensitively (RFC 4343). */
bool dns_wire_names_equal(const uint8_t *a, size_t na, const uint8_t *b, size_t nb);

/* The wire form of a name without escapes (our reverse names, host names
 * that passed hostname_is_valid()): its length, or 0 when it does not fit. */
int dns_wire_name(const char *name, uint8_t buf[static DNS_WIRE_NAME_MAX]);
