/*
 * grammar.h — the MO command grammar (docs/texting.md): a
 * normalised text (handlers/normalize.h) in, one command with its checked
 * arguments out, driven by the table in handlers/commands.def.
 *
 * Pure code: no I/O, no logging, no allocation; the result is a plain
 * struct the caller owns.
 */
#ifndef VG_HANDLERS_GRAMMAR_H
#define VG_HANDLERS_GRAMMAR_H

#include <stddef.h>

/* Commands: one per commands.def row, plus the two that are not keywords. */
typedef enum {
  VG_CMD_UNKNOWN = 0, /* nothing matched */
#define CMD(name, keywords, args, family) VG_CMD_##name,
#include "handlers/commands.def"
  VG_CMD_CODE, /* a bare offer code ("2", "CL"): confirm that offer */
  VG_CMD__COUNT
} vg_cmd_id_t;

/* Whose conversation a command is (commands.def's family column). */
typedef enum {
  VG_CMD_FAMILY_SUBSCRIBER = 0,
  VG_CMD_FAMILY_PROMOTER,
  VG_CMD_FAMILY_BY_NUMBER, /* only in the table: resolved by argc */
} vg_cmd_family_t;

/* Why a known keyword's arguments were rejected; the text says how. */
#define VG_CMD_ERR_MAP(XX)                                                   \
  XX(NONE, "")                                                               \
  XX(MISSING_MSISDN, "missing msisdn")                                       \
  XX(BAD_MSISDN, "bad msisdn")                                               \
  XX(MISSING_SERVICE, "missing service code")                                \
  XX(BAD_SERVICE, "bad service code")                                        \
  XX(MISSING_NAME, "missing name")                                           \
  XX(BAD_MONTH, "bad month, expected YYYYMM")                                \
  XX(EXTRA, "unexpected text after the command")                             \
  XX(TOO_MANY, "too many arguments")                                         \
  XX(TOO_LONG, "argument too long")

typedef enum {
#define XX(name, _) VG_CMD_ERR_##name,
  VG_CMD_ERR_MAP(XX)
#undef XX
} vg_cmd_err_t;

#define VG_CMD_MAX_ARGS 8
#define VG_CMD_ARG_MAX 64 /* bytes, with the NUL */
#define VG_CMD_CODE_MAX 8 /* bytes, with the NUL */

/* One parsed command.  All strings are copies, NUL-terminated. */
typedef struct {
  vg_cmd_id_t cmd;
  vg_cmd_err_t err; /* NONE, or why the arguments of `cmd` are wrong */
  char keyword[VG_CMD_ARG_MAX]; /* the keyword as matched ("是的", "CX MX") */
  /* For VG_CMD_CODE the code; for VG_CMD_CONFIRM the keyword when it looks
   * like an offer code ("1", "Y", "OK") so the caller can prefer an offer
   * with that very code; otherwise "". */
  char code[VG_CMD_CODE_MAX];
  int argc;
  char argv[VG_CMD_MAX_ARGS][VG_CMD_ARG_MAX];
} vg_command_t;

/*
 * Parse `normalized` (the output of vg_text_normalize) into `out`, which is
 * fully overwritten.  The first word (a Latin keyword glued to Chinese or to
 * digits, "zc张三", "TD退订", "CX202611", is split first) is looked up in
 * commands.def, longest keyword first; the rest is checked against the row's
 * argument slots.  A command without arguments followed only by other
 * keywords of the same command ("TD 退订") is that command; followed by
 * anything else it is the command with err EXTRA.  A single word that is no
 * keyword but has the shape of an offer code (1-4 upper-case letters or
 * digits) is VG_CMD_CODE; anything else is VG_CMD_UNKNOWN.
 *
 * KNOWLEDGE: argc 1 is a subscriber's "ZS <svc>", argc 2 a promoter's
 * "ZS <msisdn> <svc>".  MSISDNs are checked for shape only; normalise them
 * with vg_msisdn_* before use.
 *
 * Returns 0 whatever was understood (see out->cmd and out->err), or
 * VG_EINVAL when an argument is NULL.
 */
int vg_command_parse(const char *normalized, vg_command_t *out);

/*
 * Whose conversation a parsed command is: its row's family, BY_NUMBER
 * resolved (PROMOTER when a number came before the other arguments, i.e.
 * two or more arguments).  UNKNOWN and CODE are the subscriber's.
 */
vg_cmd_family_t vg_command_family(const vg_command_t *c);

/* The row name of a command ("CONFIRM", "UNKNOWN", "CODE"). */
const char *vg_command_name(vg_cmd_id_t cmd);

/* The text of an argument error ("" for NONE). */
const char *vg_command_strerr(vg_cmd_err_t err);

/*
 * Is `word` exactly one of the one-word keywords of commands.def ("Y", "TD",
 * "HELP", "退订"; not "CX MX")?  Compared as written in the table, so pass
 * the normalised (upper-case) form.  Used to refuse service codes that a
 * subscriber's reply could not tell apart from a command.  1 or 0.
 */
int vg_command_is_keyword(const char *word);

#endif
