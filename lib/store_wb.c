/* SPDX-License-Identifier: MIT */
/* The store's write-behind queue: see store_wb.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_wb.h"
#include "util.h"

struct store_wb {
	struct store *store;
	struct log_limit failed_log;	/* one line a minute while writes fail */
	size_t failed;			/* records not stored since that line */
	struct store_entry *e;		/* STORE_WB_MAX slots, when used */
	size_t n;
	unsigned long written, unstored;	/* records, since start */
};

struct store_wb *
store_wb_new(struct store *st)
{
	struct store_wb *wb = xcalloc(1, sizeof(*wb));

	wb->store = st;
	return wb;
}

static struct store_entry *
wb_find(struct store_wb *wb, const char *domain)
{
	for (size_t i = 0; i < wb->n; i++)
		if (strcmp(wb->e[i].domain, domain) == 0)
			return &wb->e[i];
	return NULL;
}

void
store_wb_flush(struct store_wb *wb)
{
	long n;

	if (wb->n == 0)
		return;
	n = store_put_many(wb->store, wb->e, wb->n);
	if (n > 0)
		log_info("stored %ld MTA-STS policy record%s in one write", n,
		    n == 1 ? "" : "s");
	wb->written += n > 0 ? (unsigned long)n : 0;
	wb->unstored += wb->n - (n < 0 ? 0 : (size_t)n);
	if (n < (long)wb->n) {
		unsigned long held;

		wb->failed += wb->n - (n < 0 ? 0 : n);
		if (log_limit_ok(&wb->failed_log, STORE_WB_LOG_MS, &held)) {
			log_err("%zu MTA-STS policy records could not be stored "
			    "(%lu failed writes not logged before this one); "
			    "the policies apply until restart", wb->failed,
			    held);
			wb->failed = 0;
		}
	}
	for (size_t i = 0; i < wb->n; i++)
		store_entry_clear(&wb->e[i]);
	wb->n = 0;
}

int
store_wb_put(struct store_wb *wb, struct store_entry *e)
{
	struct store_entry *q = wb_find(wb, e->domain);
	int first = wb->n == 0;

	if (q != NULL) {
		store_entry_clear(q);
	} else {
		if (wb->n == STORE_WB_MAX)
			store_wb_flush(wb);
		if (wb->e == NULL)
			wb->e = xcalloc(STORE_WB_MAX, sizeof(*wb->e));
		q = &wb->e[wb->n++];
	}
	*q = *e;
	e->policy = NULL;
	return first;
}

int
store_wb_get(struct store_wb *wb, const char *domain, struct store_entry *out)
{
	struct store_entry *q = wb_find(wb, domain);

	if (q == NULL)
		return store_get(wb->store, domain, out);
	*out = *q;
	out->policy = xstrdup(q->policy);
	return 1;
}

void
store_wb_del(struct store_wb *wb, const char *domain)
{
	struct store_entry *q = wb_find(wb, domain);

	if (q != NULL) {
		store_entry_clear(q);
		*q = wb->e[--wb->n];
		memset(&wb->e[wb->n], 0, sizeof(wb->e[wb->n]));
	}
	store_del(wb->store, domain);
}

void
store_wb_stats(const struct store_wb *wb, unsigned long *written,
    unsigned long *failed)
{
	*written = wb->written;
	*failed = wb->unstored;
}

void
store_wb_free(struct store_wb *wb)
{
	if (wb == NULL)
		return;
	store_wb_flush(wb);
	free(wb->e);
	free(wb);
}
