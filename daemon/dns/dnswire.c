/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "dnswire.h"

#define HEADER_SIZE 12
#define TYPE_A     1
#define TYPE_NS    2
#define TYPE_CNAME 5
#define TYPE_SOA   6
#define TYPE_PTR   12
#define TYPE_TXT   16
#define TYPE_AAAA  28

static uint16_t u16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

/* A name at *pos: labels of at most 63 octets, at most 255 in all,
 * compression pointers only backwards (which also rules out loops). Moves
 * *pos past the name where it stands in the message; with out, also gives
 * its uncompressed wire form. */
static int read_name(const uint8_t *msg, size_t size, size_t *pos, uint8_t *out /* DNS_WIRE_NAME_MAX or NULL */,
                     size_t *out_len, const char **why) {
        size_t p = *pos, n = 0, end = 0;
        size_t limit = *pos;            /* a pointer must go before where this name began */
        bool jumped = false;

        for (;;) {
                if (p >= size)
                        return *why = "a name runs past the end of the message", -EBADMSG;
                uint8_t len = msg[p];
                if ((len & 0xc0) == 0xc0) {
                        if (p + 1 >= size)
                                return *why = "a compression pointer is cut off", -EBADMSG;
                        size_t target = (size_t) (len & 0x3f) << 8 | msg[p + 1];
                        if (target >= limit)
                                return *why = "a compression pointer points forward or loops", -EBADMSG;
                        if (!jumped)
                                end = p + 2;
                        jumped = true;
                        limit = target;
                        p = target;
                        continue;
                }
                if (len & 0xc0)
                        return *why = "a label of an unknown type", -EBADMSG;
                if (len > 63)
                        return *why = "a label longer than 63 octets", -EBADMSG;
                if (p + 1 + len > size)
                        return *why = "a label runs past the end of the message", -EBADMSG;
                if (n + 1 + len > DNS_WIRE_NAME_MAX)
                        return *why = "a name longer than 255 octets", -EBADMSG;
                if (out)
                        memcpy(out + n, msg + p, 1 + (size_t) len);
                n += 1 + (size_t) len;
                p += 1 + (size_t) len;
                if (len == 0)
                        break;
        }
        *pos = jumped ? end : p;
        if (out_len)
                *out_len = n;
        return 0;
}

bool dns_wire_names_equal(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; ) {
                size_t len = a[i];
                if (len != b[i] || strncasecmp((const char *) a + i + 1, (const char *) b + i + 1, len) != 0)
                        return false;
                i += 1 + len;
        }
        return true;
}

/* The rdata of the types we read must parse and fill rdlength exactly. */
static int check_rdata(const uint8_t *msg, size_t size, uint16_t type, size_t start, size_t rdlen, const char **why) {
        size_t p = start, end = start + rdlen;
        int r;

        switch (type) {
        case TYPE_A:
                return rdlen == 4 ? 0 : (*why = "an A record that is not 4 octets", -EBADMSG);
        case TYPE_AAAA:
                return rdlen == 16 ? 0 : (*why = "an AAAA record that is not 16 octets", -EBADMSG);
        case TYPE_PTR:
        case TYPE_CNAME:
        case TYPE_NS:
                r = read_name(msg, end, &p, NULL, NULL, why);
                if (r < 0)
                        return r;
                return p == end ? 0 : (*why = "a name in a record does not fill its rdata", -EBADMSG);
        case TYPE_SOA:
                r = read_name(msg, end, &p, NULL, NULL, why);
                if (r >= 0)
                        r = read_name(msg, end, &p, NULL, NULL, why);
                if (r < 0)
                        return r;
                return p + 20 == end ? 0 : (*why = "an SOA record of the wrong length", -EBADMSG);
        case TYPE_TXT:
                while (p < end)
                        p += 1 + (size_t) msg[p];
                return p == end && rdlen > 0 ? 0 : (*why = "a TXT record whose strings do not fill it", -EBADMSG);
        default:
                return 0;
        }
}

int dns_wire_name(const char *name, uint8_t buf[static DNS_WIRE_NAME_MAX]) {
        size_t n = 0;

        for (const char *p = name; *p; ) {
                size_t len = strcspn(p, ".");
                if (len == 0 || len > 63 || n + 1 + len + 1 > DNS_WIRE_NAME_MAX)
                        return 0;
                buf[n++] = (uint8_t) len;
                memcpy(buf + n, p, len);
                n += len;
                p += len;
                if (*p == '.')
                        p++;
        }
        buf[n++] = 0;
        return (int) n;
}

int dns_wire_validate(const uint8_t *msg, size_t size, const char *qname, uint16_t qtype, uint16_t qclass,
                      const char **why) {
        uint8_t want[DNS_WIRE_NAME_MAX], got[DNS_WIRE_NAME_MAX];
        size_t p = HEADER_SIZE, got_len;
        int want_len, r;

        if (size < HEADER_SIZE)
                return *why = "shorter than a DNS header", -EBADMSG;
        if (!(msg[2] & 0x80))
                return *why = "not a response (QR is 0)", -EBADMSG;
        if ((msg[2] >> 3 & 0x0f) != 0)
                return *why = "not a standard query's response (opcode)", -EBADMSG;
        if (msg[2] & 0x02)
                return *why = "truncated (TC) even after the retry over TCP", -EBADMSG;
        if (u16(msg + 4) != 1)
                return *why = "not exactly one question", -EBADMSG;

        want_len = dns_wire_name(qname, want);
        if (want_len == 0)
                return *why = "the question asked is not a name", -EINVAL;
        r = read_name(msg, size, &p, got, &got_len, why);
        if (r < 0)
                return r;
        if (p + 4 > size)
                return *why = "the question is cut off", -EBADMSG;
        if (!dns_wire_names_equal(want, (size_t) want_len, got, got_len) || u16(msg + p) != qtype || u16(msg + p + 2) != qclass)
                return *why = "an answer to another question", -EBADMSG;
        p += 4;

        for (unsigned n = (unsigned) u16(msg + 6) + u16(msg + 8) + u16(msg + 10); n > 0; n--) {
                uint16_t type;
                size_t rdlen;

                r = read_name(msg, size, &p, NULL, NULL, why);
                if (r < 0)
                        return r;
                if (p + 10 > size)
                        return *why = "fewer records than the header counts, or one cut off", -EBADMSG;
                type = u16(msg + p);
                rdlen = u16(msg + p + 8);
                p += 10;
                if (p + rdlen > size)
                        return *why = "a record's data runs past the end of the message", -EBADMSG;
                r = check_rdata(msg, size, type, p, rdlen, why);
                if (r < 0)
                        return r;
                p += rdlen;
        }
        if (p != size)
                return *why = "bytes after the records the header counts", -EBADMSG;
        return 0;
}
