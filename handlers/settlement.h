/*
 * settlement.h — a month's settlement of the commission ledger
 * (docs/promoters.md): per promoter, how many developments were valid, how
 * many invalid by each rule, and the commission in fen of the valid ones;
 * the month's totals; and the CSV report.
 *
 * Pure over caller-owned memory: the caller gives the array the promoter
 * rows live in, feeds the month's audited developments one by one (so that
 * they can be read from Redis in batches), then writes the report into a
 * FILE* it opened.  No allocation, no Redis, no logging.  Money is integer
 * fen throughout; the report shows yuan formatted from it with integer
 * arithmetic.
 */
#ifndef VG_HANDLERS_SETTLEMENT_H
#define VG_HANDLERS_SETTLEMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/msisdn.h"
#include "handlers/audit.h"

/* Bytes that always hold vg_fen_to_yuan()'s text ("92233720368547758.07"). */
#define VG_YUAN_TEXT 24

/* One promoter's month, or the month's total. */
typedef struct {
  char promoter[VG_MSISDN_MAX];          /* "" in the total */
  uint32_t valid;                        /* VALID developments */
  uint32_t invalid[VG_AUDIT_RULE_END];   /* INVALID ones by rule; [0] is 0 */
  int64_t amount_fen;                    /* sum of the VALID ones' amounts */
} vg_settle_row_t;

/* A month being settled.  Fill with vg_settlement_init(); read freely. */
typedef struct {
  int32_t month;          /* YYYYMM */
  vg_settle_row_t *rows;  /* the caller's array, sorted by promoter (strcmp) */
  size_t nrows, maxrows;
  vg_settle_row_t total;  /* the sums of every row */
} vg_settlement_t;

/* What the report shows of a promoter; the strings are the caller's. */
typedef struct {
  const char *msisdn;
  const char *staff_no;
  const char *name;   /* UTF-8 */
  const char *outlet; /* UTF-8, may be "" */
} vg_settle_promoter_t;

/*
 * Start settling `month` (YYYYMM) into `rows`, an array of `maxrows` the
 * caller owns and keeps alive while `s` is used (one row per promoter having
 * a development in the month; the number of developments always suffices).
 * 0, or VG_EINVAL when `month` is not valid.
 */
int vg_settlement_init(vg_settlement_t *s, int32_t month,
                       vg_settle_row_t *rows, size_t maxrows);

/*
 * Count one audited development of the month: into its promoter's row
 * (inserted in order when new) and the total.  0; or, with the reason in
 * `why` (may be NULL) and `s` unchanged:
 *   VG_EINVAL  d is PENDING ("development ID is not audited"), INVALID with
 *              no rule 1..7, has no promoter, a negative amount, or was
 *              activated in another month;
 *   VG_ERANGE  a new promoter and `rows` is full, or a sum would overflow.
 */
int vg_settlement_add(vg_settlement_t *s, const vg_dev_t *d, char *why,
                      size_t whysz);

/*
 * vg_settlement_add() for `n` developments.  On an error it stops at that
 * development; the ones before it stay counted, so discard `s` then.
 */
int vg_settlement_add_all(vg_settlement_t *s, const vg_dev_t *devs, size_t n,
                          char *why, size_t whysz);

/* The row of `promoter`, or NULL when it had no development in the month. */
const vg_settle_row_t *vg_settlement_find(const vg_settlement_t *s,
                                          const char *promoter);

/*
 * Write the month's report to `out` (opened by the caller, not closed):
 *
 *   promoter,staff_no,name,outlet,valid,invalid_duplicate,invalid_rebate,
 *   invalid_retention,invalid_voice,invalid_billing,invalid_arrears,
 *   invalid_complaint,amount_fen,amount_yuan
 *
 * (one line), one row per promoter sorted by MSISDN, then a row "TOTAL" with
 * empty staff_no, name and outlet.  staff_no, name and outlet come from
 * `promoters` (any order, looked up by msisdn; "" for a promoter not in it).
 * Lines end with "\n"; a field holding ',', '"', CR, LF or blanks at either
 * end is quoted ("" for a quote); one starting with '=', '+', '-' or '@' is
 * written with a leading apostrophe, quoted, so that a spreadsheet shows the
 * text instead of running it as a formula.  amount_yuan is amount_fen as
 * vg_fen_to_yuan() writes it.  0, or VG_EIO when writing failed.
 */
int vg_settlement_write_csv(const vg_settlement_t *s,
                            const vg_settle_promoter_t *promoters,
                            size_t npromoters, FILE *out);

/*
 * Fen as yuan with two decimals, by integer arithmetic: 300 -> "3.00",
 * 123456 -> "1234.56", 5 -> "0.05".  0; VG_EINVAL for a negative amount or
 * VG_ETOOLONG when `bufsz` is too small (VG_YUAN_TEXT always suffices), with
 * `buf` then "" (when bufsz > 0).
 */
int vg_fen_to_yuan(int64_t fen, char *buf, size_t bufsz);

#endif
