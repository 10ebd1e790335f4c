/* SPDX-License-Identifier: MIT */
/*
 * tlsa_cmd - "tlsmap tlsa": the TLSA records to publish for the
 * certificates of Postfix's smtpd, and with --check whether DNS
 * publishes them.
 *
 *	tlsmap [-c config_file] tlsa [-C postfix_config_dir] [-n host]
 *	    [--next cert_file]... [--check]
 *
 *	The certificates come from postconf(1) -c DIR: the files of
 *	smtpd_tls_chain_files, else of smtpd_tls_cert_file,
 *	smtpd_tls_eccert_file and smtpd_tls_dcert_file (as smtpd reads
 *	them); host is myhostname unless -n names it.  Without --check the
 *	records are printed in zone-file form, "3 1 1" of each leaf key and
 *	"2 1 1" of the CA that issued it when the chain holds it.  With
 *	--check the RRset at _25._tcp.HOST is looked up through the
 *	daemon's resolvers (blockdns.h: AD bit, or local validation) and
 *	judged (tlsa.c); findings are printed as "tlsmap doctor" prints
 *	them.  Exit 0 ok, 1 warnings, 2 errors.  The reading of PEM files
 *	and of DNS is here; the judging is in tlsa.c.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "blockdns.h"
#include "conf.h"
#include "doctor.h"
#include "domain.h"
#include "tlsa.h"
#include "tlsmap.h"
#include "util.h"

#define PEM_FILE_MAX	(1 << 20)	/* a key and a long chain fit */
#define MAX_KEYS	16
#define MAX_CHAIN	16
#define MAX_PUBLISHED	64
#define POSTCONF_MAX	16384
#define RENEWAL_DAYS	30	/* a certificate this close to expiry is
				 * about to change */

struct chain {
	struct probe_der der[MAX_CHAIN];	/* leaf first; gnutls_free() */
	size_t n;
	char file[PATH_MAX];
	char subject[256];
	time_t not_after;
};

struct tlsa_ctx {
	struct chain chains[MAX_KEYS];
	struct tlsa_key keys[MAX_KEYS];
	size_t n;
	int new_chain;		/* the next certificate starts a chain */
	char host[DOMAIN_MAX + 1];
	char owner[DOMAIN_MAX + 16];
	tlsa_say_fn *say;
	void *arg;
	int worst;		/* 0 ok, 1 warning, 2 error */
};

/* One finding, as "tlsmap doctor" prints it. */
static void
say(struct tlsa_ctx *c, int sev, const char *fix, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sev > c->worst)
		c->worst = sev;
	c->say(c->arg, sev, fix, msg);
}

/* The standalone command's printer: "ok: ...", "error: ...; fix: ...". */
static void
print_finding(void *arg, int sev, const char *fix, const char *msg)
{
	static const char *const word[] = { "ok", "warning", "error" };

	(void)arg;
	printf("%s: %s", word[sev], msg);
	if (sev && fix)
		printf("; fix: %s", fix);
	putchar('\n');
}

/* Add one DER certificate: the leaf of a new chain or the next of one. */
static int
add_cert(struct tlsa_ctx *c, const char *file, const gnutls_datum_t *der)
{
	struct chain *ch;

	if (c->new_chain || c->n == 0) {
		if (c->n == MAX_KEYS) {
			say(c, 2, NULL, "more than %d certificate chains", MAX_KEYS);
			return -1;
		}
		ch = &c->chains[c->n++];
		snprintf(ch->file, sizeof(ch->file), "%s", file);
		c->new_chain = 0;
	} else if ((ch = &c->chains[c->n - 1])->n == MAX_CHAIN) {
		return 0;	/* a chain this long: the rest cannot matter */
	}
	ch->der[ch->n].data = der->data;
	ch->der[ch->n].len = der->size;
	ch->n++;
	return 0;
}

/*
 * The PEM blocks of one file, in order: a certificate after a private
 * key starts a new chain (smtpd_tls_chain_files puts each key before
 * its chain), other certificates extend the current chain.
 */
static int
read_pem(struct tlsa_ctx *c, const char *file)
{
	static const char begin[] = "-----BEGIN ", dashes[] = "-----";
	const char *why, *p;
	size_t len;
	char *text = file_read(file, PEM_FILE_MAX, &len, &why), label[64];

	if (text == NULL) {
		say(c, 2, "give tlsmap the right to read it (run it as root)",
		    "cannot read %s: %s", file, why);
		return -1;
	}
	for (p = text; (p = strstr(p, begin)) != NULL;) {
		const char *l = p + sizeof(begin) - 1, *e = strstr(l, dashes);
		gnutls_datum_t pem, der;
		char end[96];
		const char *stop;

		if (e == NULL || (size_t)(e - l) >= sizeof(label))
			break;
		snprintf(label, sizeof(label), "%.*s", (int)(e - l), l);
		snprintf(end, sizeof(end), "-----END %s-----", label);
		if ((stop = strstr(e, end)) == NULL)
			break;
		stop += strlen(end);
		if (strstr(label, "PRIVATE KEY") != NULL) {
			c->new_chain = 1;
		} else if (strcmp(label, "CERTIFICATE") == 0) {
			pem.data = (unsigned char *)p;
			pem.size = (unsigned)(stop - p);
			if (gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der) < 0) {
				say(c, 2, NULL, "%s: a certificate that does not "
				    "decode", file);
				free(text);
				return -1;
			}
			if (add_cert(c, file, &der) < 0) {
				gnutls_free(der.data);
				free(text);
				return -1;
			}
		}
		p = stop;
	}
	free(text);
	return 0;
}

/* Each chain's subject, and the certificate after the leaf that issued it. */
static int
finish_keys(struct tlsa_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct chain *ch = &c->chains[i];
		gnutls_x509_crt_t crt[2] = { NULL, NULL };
		gnutls_datum_t d, dn = { NULL, 0 };

		c->keys[i].leaf = ch->der[0];
		c->keys[i].chain = ch->der + 1;
		c->keys[i].nchain = ch->n - 1;
		d.data = (unsigned char *)ch->der[0].data;
		d.size = (unsigned)ch->der[0].len;
		if (gnutls_x509_crt_init(&crt[0]) < 0
		    || gnutls_x509_crt_import(crt[0], &d, GNUTLS_X509_FMT_DER) < 0) {
			say(c, 2, NULL, "%s: a certificate that does not parse",
			    ch->file);
			gnutls_x509_crt_deinit(crt[0]);
			return -1;
		}
		ch->not_after = gnutls_x509_crt_get_expiration_time(crt[0]);
		if (gnutls_x509_crt_get_dn2(crt[0], &dn) == 0)
			snprintf(ch->subject, sizeof(ch->subject), "%s", dn.data);
		gnutls_free(dn.data);
		for (size_t j = 1; j < ch->n && !c->keys[i].issuer; j++) {
			d.data = (unsigned char *)ch->der[j].data;
			d.size = (unsigned)ch->der[j].len;
			if (gnutls_x509_crt_init(&crt[1]) == 0
			    && gnutls_x509_crt_import(crt[1], &d,
			    GNUTLS_X509_FMT_DER) == 0
			    && gnutls_x509_crt_check_issuer(crt[0], crt[1]))
				c->keys[i].issuer = &ch->der[j];
			gnutls_x509_crt_deinit(crt[1]);
			crt[1] = NULL;
		}
		gnutls_x509_crt_deinit(crt[0]);
	}
	return 0;
}

/* Read each file of a list separated by commas or white space. */
static int
read_list(struct tlsa_ctx *c, const char *list, int chain_files, int next)
{
	char file[PATH_MAX];
	size_t start = c->n;

	for (const char *p = list; *p;) {
		size_t l;
		p += strspn(p, ", \t\r\n");
		if ((l = strcspn(p, ", \t\r\n")) == 0)
			break;
		snprintf(file, sizeof(file), "%.*s", (int)l, p);
		p += l;
		c->new_chain |= !chain_files;	/* cert files: a chain each */
		if (read_pem(c, file) < 0)
			return -1;
	}
	for (size_t i = start; i < c->n; i++)
		c->keys[i].next = next;
	return 0;
}

/* A host name as given or as myhostname: lower case, no trailing dot. */
static int
tlsa_host(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= outlen)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return domain_valid(out) ? 0 : -1;
}

/*
 * smtpd's certificates from postconf and the host name; 1 when there
 * are some, 0 when smtpd has none, -1 after saying why.
 */
static int
load_smtpd(struct tlsa_ctx *c, const char *pfdir, const char *host)
{
	char *argv[] = { "postconf", "-c", (char *)pfdir, "-x", "myhostname",
	    "smtpd_tls_chain_files", "smtpd_tls_cert_file",
	    "smtpd_tls_eccert_file", "smtpd_tls_dcert_file", NULL };
	static const char *const legacy[] = { "smtpd_tls_cert_file",
	    "smtpd_tls_eccert_file", "smtpd_tls_dcert_file" };
	char *out = xmalloc(POSTCONF_MAX), val[4096];
	size_t len;
	int rc = -1;

	if (doctor_run(argv, out, POSTCONF_MAX, &len) != 0 || len == 0) {
		say(c, 2, "give the Postfix configuration directory with -C",
		    "postconf -c %s failed", pfdir);
		goto out;
	}
	if (host == NULL && doctor_postconf_get(out, len, "myhostname", val,
	    sizeof(val)) == 1)
		host = val;
	if (tlsa_host(host ? host : "", c->host, sizeof(c->host)) < 0) {
		say(c, 2, "name the host with -n", "bad host name \"%s\"",
		    host ? host : "");
		goto out;
	}
	snprintf(c->owner, sizeof(c->owner), "_25._tcp.%s.", c->host);
	if (doctor_postconf_get(out, len, "smtpd_tls_chain_files", val,
	    sizeof(val)) == 1 && val[strspn(val, ", \t")]) {
		c->new_chain = 1;
		rc = read_list(c, val, 1, 0);
	} else {
		rc = 0;
		for (size_t i = 0; i < 3 && rc == 0; i++)
			if (doctor_postconf_get(out, len, legacy[i], val,
			    sizeof(val)) == 1)
				rc = read_list(c, val, 0, 0);
	}
	if (rc == 0)
		rc = c->n > 0;
out:
	free(out);
	return rc;
}

/* The records to publish, each once: 3 1 1 of every leaf, 2 1 1 of CAs. */
static int
print_records(struct tlsa_ctx *c)
{
	char (*seen)[TLSA_RECORD_MAX] = xcalloc(2 * MAX_KEYS, TLSA_RECORD_MAX);
	size_t nseen = 0;

	for (unsigned usage = 3; usage >= 2; usage--)
		for (size_t i = 0; i < c->n; i++) {
			const struct probe_der *d = usage == 3 ? &c->keys[i].leaf
			    : c->keys[i].issuer;
			size_t k;
			if (d == NULL || tlsa_record(usage, d->data, d->len,
			    seen[nseen], TLSA_RECORD_MAX) < 0)
				continue;
			for (k = 0; k < nseen && strcmp(seen[k], seen[nseen]); k++)
				;
			if (k == nseen)
				printf("%s IN TLSA %s\n", c->owner, seen[nseen++]);
		}
	free(seen);
	return 0;
}

/*
 * The published records, decoded into rrs; their data lives in *l (the
 * caller's to ldns_rr_list_deep_free(), NULL when there is none).
 */
static size_t
published(const ldns_pkt *pkt, ldns_rr_list **l, struct probe_tlsa *rrs)
{
	*l = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_TLSA,
	    LDNS_SECTION_ANSWER);
	return blockdns_tlsa(*l, rrs, MAX_PUBLISHED);
}

/* "U S M" and the first bytes of the data, for messages. */
static void
rr_short(const struct probe_tlsa *t, char *out, size_t outlen)
{
	size_t n = (size_t)snprintf(out, outlen, "%u %u %u ", t->usage,
	    t->selector, t->mtype);

	for (size_t i = 0; i < t->len && i < 8 && n + 3 < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%02x", t->data[i]);
	if (t->len > 8 && n + 4 < outlen)
		snprintf(out + n, outlen - n, "...");
}

/*
 * A certificate in use that expires soon is about to change: unless a
 * published 2 x x record of its CA covers the renewal, a renewal with a
 * new key breaks DANE senders until the new key's record is published.
 */
static void
renewals(struct tlsa_ctx *c, const struct probe_tlsa *rrs, size_t nrrs,
    const int *key_ok)
{
	time_t now = time(NULL);
	char date[32];

	for (size_t i = 0; i < c->n; i++) {
		const struct chain *ch = &c->chains[i];
		long days = (long)((ch->not_after - now) / 86400);
		struct tm *tm;
		if (!key_ok[i] || c->keys[i].next || ch->not_after == (time_t)-1
		    || days >= RENEWAL_DAYS
		    || tlsa_ta_covered(&c->keys[i], rrs, nrrs))
			continue;
		tm = gmtime(&ch->not_after);
		if (tm == NULL || strftime(date, sizeof(date), "%Y-%m-%d", tm) == 0)
			snprintf(date, sizeof(date), "?");
		say(c, 1, "renew with the same key, or publish the new key's "
		    "record first (tlsmap tlsa --next NEW_CERT_FILE)",
		    "certificate of %s (%s) expires on %s: a renewal with a new "
		    "key would break DANE senders until its record is published",
		    ch->file, ch->subject, date);
	}
}

/* Say how the published RRset compares with each key. */
static void
judge(struct tlsa_ctx *c, const struct probe_tlsa *rrs, size_t nrrs)
{
	int key_ok[MAX_KEYS], rr_ok[MAX_PUBLISHED];
	char rec[TLSA_RECORD_MAX], fix[TLSA_RECORD_MAX + DOMAIN_MAX + 160];
	enum tlsa_verdict v = tlsa_judge(c->keys, c->n, rrs, nrrs, key_ok, rr_ok);

	if (v == TLSA_MISSING) {
		say(c, 1, "publish the records that \"tlsmap tlsa\" prints",
		    "%s has no TLSA records (secure denial): DANE senders do not "
		    "authenticate this host", c->owner);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		const char *what = c->keys[i].next ? "next key" : "key";
		tlsa_record(3, c->keys[i].leaf.data, c->keys[i].leaf.len, rec,
		    sizeof(rec));
		snprintf(fix, sizeof(fix), "publish %s IN TLSA %s%s", c->owner,
		    rec, c->keys[i].next ? " now, and switch smtpd to the new "
		    "key after the TTL has passed twice" : "");
		if (key_ok[i])
			say(c, 0, NULL, "%s of %s (%s) matches %s TLSA", what,
			    c->chains[i].file, c->chains[i].subject, c->owner);
		else if (c->keys[i].next)
			say(c, 2, fix, "rollover: next key of %s (%s) matches no "
			    "record at %s: switching smtpd to it would break DANE "
			    "senders", c->chains[i].file, c->chains[i].subject,
			    c->owner);
		else
			say(c, 2, fix, "key of %s (%s) matches no record at %s: "
			    "DANE senders that get this certificate defer mail",
			    c->chains[i].file, c->chains[i].subject, c->owner);
	}
	renewals(c, rrs, nrrs, key_ok);
	for (size_t j = 0; j < nrrs; j++)
		if (!rr_ok[j]) {
			rr_short(&rrs[j], rec, sizeof(rec));
			say(c, 1, "remove it once no server presents the key it "
			    "names", "stale: %s TLSA %s matches no key of smtpd",
			    c->owner, rec);
		}
}

/* Look up the RRset through the daemon's resolvers and judge it. */
static void
check(struct tlsa_ctx *c, const struct config *cf)
{
	struct probe_tlsa rrs[MAX_PUBLISHED];
	struct blockdns_result r;
	struct blockdns *b;
	char err[256];

	if ((b = blockdns_new(cf, err, sizeof(err))) == NULL) {
		say(c, 2, "set dns_resolvers in tlspolicyd.conf", "no resolver: %s",
		    err);
		return;
	}
	if (blockdns_query(b, c->owner, LDNS_RR_TYPE_TLSA, &r) < 0)
		say(c, 2, NULL, "%s TLSA lookup failed (%s): %s", c->owner,
		    blockdns_servers(b), dns_status_name(r.status));
	else if (r.rcode != LDNS_RCODE_NOERROR && r.rcode != LDNS_RCODE_NXDOMAIN)
		say(c, 2, "see why the resolver fails (a DNSSEC-bogus zone gives "
		    "SERVFAIL)", "%s TLSA lookup: rcode %d from %s", c->owner,
		    r.rcode, blockdns_servers(b));
	else if (!r.secure)
		say(c, 1, "sign the zone (DS in the parent) and use a validating "
		    "resolver", "%s TLSA answer is not DNSSEC-secure (%s, "
		    "dnssec_validation = %s): DANE senders ignore it", c->owner,
		    blockdns_servers(b), config_get(cf, "dnssec_validation"));
	else {
		ldns_rr_list *l;
		size_t n = published(r.pkt, &l, rrs);
		say(c, 0, NULL, "%s TLSA answer is DNSSEC-secure (%zu records)",
		    c->owner, n);
		judge(c, rrs, n);
		ldns_rr_list_deep_free(l);
	}
	ldns_pkt_free(r.pkt);
	blockdns_free(b);
}

static void
free_ctx(struct tlsa_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->chains[i].n; j++)
			gnutls_free((void *)c->chains[i].der[j].data);
	free(c);
}

int
tlsa_doctor(const struct config *cf, const char *pfdir, tlsa_say_fn *fn,
    void *arg)
{
	struct tlsa_ctx *c = xcalloc(1, sizeof(*c));
	int rc;

	c->say = fn;
	c->arg = arg;
	if ((rc = load_smtpd(c, pfdir, NULL)) == 0)
		say(c, 0, NULL, "smtpd has no certificate: no TLSA records to "
		    "check");
	else if (rc > 0 && finish_keys(c) == 0)
		check(c, cf);
	free_ctx(c);
	return rc;
}

int
tlsa_main(const struct config *cf, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'k' },
		{ "next", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	struct tlsa_ctx *c = xcalloc(1, sizeof(*c));
	const char *pfdir = "/etc/postfix", *host = NULL, *next[MAX_KEYS];
	int ch, do_check = 0, nnext = 0, rc;

	c->say = print_finding;
	optind = 0;	/* glibc: start afresh on the subcommand's argv */
	while ((ch = getopt_long(argc, argv, "C:n:", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			pfdir = optarg;
			break;
		case 'n':
			host = optarg;
			break;
		case 'k':
			do_check = 1;
			break;
		case 'N':
			if (nnext == MAX_KEYS)
				goto usage;
			next[nnext++] = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((rc = load_smtpd(c, pfdir, host)) == 0)
		say(c, 2, "set smtpd_tls_chain_files in main.cf", "smtpd has no "
		    "certificate in %s/main.cf", pfdir);
	for (int i = 0; rc > 0 && i < nnext; i++)
		if (read_list(c, next[i], 0, 1) < 0)
			rc = -1;
	if (rc > 0 && finish_keys(c) == 0) {
		if (do_check)
			check(c, cf);
		else
			print_records(c);
	}
	rc = c->worst;
	free_ctx(c);
	return rc;
usage:
	fprintf(stderr, "usage: tlsmap [-c config_file] tlsa [-C postfix_config_dir] "
	    "[-n host] [--next cert_file]... [--check]\n");
	free_ctx(c);
	return 2;
}
