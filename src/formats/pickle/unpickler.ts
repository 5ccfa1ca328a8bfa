/**
 * A restricted pickle reader (protocols 2-5, plus the protocol 0/1 opcodes a
 * protocol-2 stream may contain). It interprets the opcodes as a stack
 * machine but never imports or calls Python code: GLOBAL/STACK_GLOBAL are
 * resolved through the caller's allow-list (`hooks.resolveGlobal`), which
 * refuses everything else by name. This is the same contract as
 * torch.load(weights_only=True).
 *
 * Bounds: every length is checked against the bytes present before reading;
 * each opcode pushes at most one value, so the stack and memo can grow only
 * in proportion to the input size. Calls are what could copy more: an
 * allowed callable (OrderedDict(pairs), bytes(b), set(list)) copies its
 * argument, and a few bytes of BINGET + REDUCE repeat that for one memoized
 * argument, so calls share a budget of values proportional to the input
 * (CALL_BUDGET_PER_BYTE). Integers are decoded in linear time and capped in
 * length (a weights file holds only small ones).
 */
import { ByteReader } from '../byte-reader.js';
import { fail } from '../errors.js';
import { type PyCallable, PyDict, PySet, PyTuple, describePy, isPyCallable } from './py-values.js';

export interface UnpickleHooks {
  /** Returns what a GLOBAL names (a PyCallable or a constant); throws to refuse it. */
  resolveGlobal(module: string, name: string): unknown;
  /** BINPERSID/PERSID: resolves an external reference (torch uses it for storages). */
  persistentLoad(pid: unknown): unknown;
  /** BUILD: applies `state` to `obj` and returns the object to keep on the stack. */
  build(obj: unknown, state: unknown): unknown;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode (the next pickle in a legacy file starts there). */
  end: number;
}

const HIGHEST_PROTOCOL = 5;

/**
 * Values (list items, dict entries, bytes, characters) all calls of one pickle may receive, per byte of the
 * pickle plus CALL_BUDGET_BASE: a state dict's calls receive a few values per tensor, each written out in the
 * pickle; 400 kB calling OrderedDict on one memoized list 400 times would otherwise build 2 GB.
 */
const CALL_BUDGET_PER_BYTE = 4;
const CALL_BUDGET_BASE = 1 << 16;
/** The longest integer read (LONG1/LONG4 bytes, or digits of a text integer): 64-bit values need 8 bytes. */
const MAX_INTEGER_BYTES = 256;
const MAX_INTEGER_DIGITS = 620;

/** How many values a call receives in `arg`: the length of a sequence, dict, bytes or string; 1 for anything else. */
function shallowSize(arg: unknown): number {
  if (Array.isArray(arg) || arg instanceof Uint8Array || typeof arg === 'string') return arg.length;
  if (arg instanceof PyTuple || arg instanceof PySet) return arg.items.length;
  if (arg instanceof PyDict) return arg.items.size;
  return 1;
}

/** Reads one pickle starting at `start`. `label` names it in errors (e.g. "data.pkl"). */
export function unpickle(bytes: Uint8Array, start: number, source: string, label: string, hooks: UnpickleHooks): UnpickleResult {
  const r = new ByteReader(bytes, source, start);
  const memo = new Map<number, unknown>();
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  let opcodeAt = start;

  const bad = (problem: string): never => fail(source, `${label}: ${problem} (opcode at offset ${opcodeAt})`);
  const pop = (): unknown => {
    if (stack.length === 0) bad('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) bad('stack underflow');
    return stack[stack.length - 1];
  };
  // Note: popMark() replaces `stack`; call it before touching `stack` in the same expression.
  const popMark = (): unknown[] => {
    const items = stack;
    const outer = metastack.pop();
    if (outer === undefined) bad('no MARK to pop to');
    stack = outer as unknown[];
    return items;
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) bad(`memo entry ${index} is not defined`);
    return memo.get(index);
  };
  const memoPut = (index: number): void => {
    memo.set(index, top());
  };
  let callBudget = CALL_BUDGET_BASE + CALL_BUDGET_PER_BYTE * (bytes.length - start);
  const call = (callable: unknown, args: unknown): unknown => {
    if (!(args instanceof PyTuple)) bad(`call arguments must be a tuple, got ${describePy(args)}`);
    if (!isPyCallable(callable) || callable.call === undefined) bad(`cannot call ${describePy(callable)}`);
    const items = (args as PyTuple).items;
    for (const arg of items) callBudget -= shallowSize(arg);
    if (callBudget < 0) {
      bad(
        `calling ${(callable as PyCallable).qualifiedName} here would pass its calls more values than a pickle of ${bytes.length - start} bytes holds, the same values passed again and again (a pickle that expands in memory)`,
      );
    }
    return (callable as PyCallable).call!(items);
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof PyDict)) bad(`cannot set items on ${describePy(dict)}`);
    if (items.length % 2 !== 0) bad('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).items.set(dictKey(items[i], bad), items[i + 1]);
  };
  const appendTo = (list: unknown, items: unknown[]): void => {
    const target = list instanceof PySet ? list.items : Array.isArray(list) ? list : bad(`cannot append to ${describePy(list)}`);
    for (const item of items) target.push(item);
  };
  const decodeLong = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    if (raw.length > MAX_INTEGER_BYTES) bad(`an integer of ${raw.length} bytes (at most ${MAX_INTEGER_BYTES} are read)`);
    // Little-endian two's complement, read in one go from hex (a shift per byte is quadratic in the length).
    let hex = '';
    for (let i = raw.length - 1; i >= 0; i--) hex += raw[i].toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (raw[raw.length - 1] & 0x80) v -= 1n << BigInt(8 * raw.length);
    return Number.isSafeInteger(Number(v)) && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
  };
  const textInt = (text: string): number | bigint => {
    const t = text.endsWith('L') ? text.slice(0, -1) : text;
    if (!/^[+-]?\d+$/.test(t)) bad(`invalid integer literal '${text.slice(0, 40)}'`);
    if (t.length > MAX_INTEGER_DIGITS) bad(`an integer of ${t.length} digits (at most ${MAX_INTEGER_DIGITS} are read)`);
    const v = BigInt(t);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    opcodeAt = r.pos;
    const op = r.u8(`${label}: opcode (pickle ended without STOP)`);
    switch (op) {
      // ---- framing and control ----
      case 0x80: {
        // PROTO
        const protocol = r.u8(`${label}: protocol number`);
        if (protocol > HIGHEST_PROTOCOL) bad(`unsupported pickle protocol ${protocol}`);
        break;
      }
      case 0x95:
        r.u64(`${label}: FRAME length`);
        break; // frames are only a buffering hint
      case 0x2e: {
        // STOP
        const value = pop();
        return { value, end: r.pos };
      }
      case 0x28:
        metastack.push(stack);
        stack = [];
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP

      // ---- scalars ----
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(r.i32(`${label}: BININT`));
        break;
      case 0x4b:
        stack.push(r.u8(`${label}: BININT1`));
        break;
      case 0x4d:
        stack.push(r.u16(`${label}: BININT2`));
        break;
      case 0x8a:
        stack.push(decodeLong(r.take(r.u8(`${label}: LONG1 length`), `${label}: LONG1 digits`)));
        break;
      case 0x8b: {
        // LONG4
        const n = r.i32(`${label}: LONG4 length`);
        if (n < 0) bad('negative LONG4 length');
        stack.push(decodeLong(r.take(n, `${label}: LONG4 digits`)));
        break;
      }
      case 0x49: {
        // INT (text); "00"/"01" are protocol 0's False/True
        const text = r.line(`${label}: INT`);
        stack.push(text === '00' ? false : text === '01' ? true : textInt(text));
        break;
      }
      case 0x4c:
        stack.push(textInt(r.line(`${label}: LONG`)));
        break;
      case 0x46: {
        // FLOAT (text)
        const text = r.line(`${label}: FLOAT`);
        const v = Number(text);
        if (text.trim() === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(text))) bad(`invalid float literal '${text.slice(0, 40)}'`);
        stack.push(v);
        break;
      }
      case 0x47:
        stack.push(r.f64be(`${label}: BINFLOAT`));
        break;

      // ---- strings and bytes ----
      case 0x58:
        stack.push(r.utf8(r.u32(`${label}: BINUNICODE length`), `${label}: BINUNICODE string`));
        break;
      case 0x8c:
        stack.push(r.utf8(r.u8(`${label}: SHORT_BINUNICODE length`), `${label}: SHORT_BINUNICODE string`));
        break;
      case 0x8d:
        stack.push(r.utf8(r.u64(`${label}: BINUNICODE8 length`), `${label}: BINUNICODE8 string`));
        break;
      // Python 2 str: torch.load decodes these as UTF-8 text.
      case 0x55:
        stack.push(r.utf8(r.u8(`${label}: SHORT_BINSTRING length`), `${label}: SHORT_BINSTRING string`));
        break;
      case 0x54: {
        // BINSTRING
        const n = r.i32(`${label}: BINSTRING length`);
        if (n < 0) bad('negative BINSTRING length');
        stack.push(r.utf8(n, `${label}: BINSTRING string`));
        break;
      }
      case 0x43:
        stack.push(r.take(r.u8(`${label}: SHORT_BINBYTES length`), `${label}: SHORT_BINBYTES data`).slice());
        break;
      case 0x42:
        stack.push(r.take(r.u32(`${label}: BINBYTES length`), `${label}: BINBYTES data`).slice());
        break;
      case 0x8e:
        stack.push(r.take(r.u64(`${label}: BINBYTES8 length`), `${label}: BINBYTES8 data`).slice());
        break;
      case 0x96:
        stack.push(r.take(r.u64(`${label}: BYTEARRAY8 length`), `${label}: BYTEARRAY8 data`).slice());
        break;
      case 0x53:
      case 0x56:
        bad('protocol 0 text strings (STRING/UNICODE) are not supported');
        break;

      // ---- containers ----
      case 0x29:
        stack.push(new PyTuple([]));
        break; // EMPTY_TUPLE
      case 0x74: {
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      } // TUPLE
      case 0x85:
        stack.push(new PyTuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      } // TUPLE3
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c: {
        const items = popMark();
        stack.push(items);
        break;
      } // LIST
      case 0x61: {
        const item = pop();
        appendTo(top(), [item]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        appendTo(top(), items);
        break;
      } // APPENDS
      case 0x7d:
        stack.push(new PyDict(false));
        break; // EMPTY_DICT
      case 0x64: {
        const items = popMark();
        const d = new PyDict(false);
        setItems(d, items);
        stack.push(d);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x8f:
        stack.push(new PySet());
        break; // EMPTY_SET
      case 0x90: {
        const items = popMark();
        appendTo(top(), items);
        break;
      } // ADDITEMS
      case 0x91: {
        const items = popMark();
        const s = new PySet();
        appendTo(s, items);
        stack.push(s);
        break;
      } // FROZENSET

      // ---- memo ----
      case 0x68:
        stack.push(memoGet(r.u8(`${label}: BINGET index`)));
        break;
      case 0x6a:
        stack.push(memoGet(r.u32(`${label}: LONG_BINGET index`)));
        break;
      case 0x67:
        stack.push(memoGet(Number(textInt(r.line(`${label}: GET index`)))));
        break;
      case 0x71:
        memoPut(r.u8(`${label}: BINPUT index`));
        break;
      case 0x72:
        memoPut(r.u32(`${label}: LONG_BINPUT index`));
        break;
      case 0x70:
        memoPut(Number(textInt(r.line(`${label}: PUT index`))));
        break;
      case 0x94:
        memoPut(memo.size);
        break; // MEMOIZE

      // ---- globals, calls and external references (all through the allow-list) ----
      case 0x63: {
        // GLOBAL
        const module = r.line(`${label}: GLOBAL module`);
        const name = r.line(`${label}: GLOBAL name`);
        stack.push(hooks.resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') bad('STACK_GLOBAL needs two strings');
        stack.push(hooks.resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      } // REDUCE
      case 0x81: {
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      } // NEWOBJ
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof PyDict) || kwargs.items.size > 0) bad('keyword arguments to constructors are not supported');
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        const state = pop();
        const obj = pop();
        stack.push(hooks.build(obj, state));
        break;
      } // BUILD
      case 0x51:
        stack.push(hooks.persistentLoad(pop()));
        break; // BINPERSID
      case 0x50:
        stack.push(hooks.persistentLoad(r.line(`${label}: PERSID`)));
        break;
      case 0x69:
      case 0x6f:
        bad('INST/OBJ opcodes (class instantiation) are not allowed');
        break;
      case 0x82:
      case 0x83:
      case 0x84:
        bad('extension-registry opcodes (EXT1/2/4) are not allowed');
        break;
      case 0x97:
      case 0x98:
        bad('out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER) are not supported');
        break;
      default:
        bad(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Dict keys: Python compares by value, so only immutable scalars (and tuples) are accepted. */
function dictKey(key: unknown, bad: (problem: string) => never): unknown {
  if (key === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof key) || key instanceof PyTuple) return key;
  return bad(`unsupported dict key type ${describePy(key)}`);
}
