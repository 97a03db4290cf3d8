/**
 * Just enough of the JVM class-file format (The Java Virtual Machine Specification, chapter 4) to
 * write one public class with one `public static void main(String[])` of straight-line code.
 *
 * Why write bytecode from TypeScript: the local stack must run on a bare Java runtime, which has
 * no compiler (no `javac`, no source launcher, no jshell), and a compiled `.class` checked in or
 * shipped would be a binary nobody reviews. The instructions below are the reviewable source; the
 * bytes follow from them the same way on every machine.
 *
 * Straight-line code only (no jumps, no exception handlers): for class files of version 50 and
 * later the verifier then needs no StackMapTable, so this writer need not compute frames.
 */

/** Java 17, the oldest runtime DynamoDB Local 2.3+ runs on. */
const CLASS_FILE_MAJOR_VERSION = 61;

/** A method reference: the owning class (internal form, `java/lang/Class`), name and descriptor. */
export interface MethodRef {
  owner: string;
  name: string;
  descriptor: string;
}

export type Instruction =
  | { op: 'aload' | 'astore'; local: number }
  | { op: 'iconst'; value: 0 | 1 | 2 | 3 | 4 | 5 }
  | { op: 'ldcString'; value: string }
  | { op: 'ldcClass'; className: string }
  | { op: 'checkcast'; className: string }
  | { op: 'invokestatic' | 'invokevirtual' | 'invokeinterface' | 'invokestaticInterface'; method: MethodRef }
  | { op: 'dup' | 'pop' | 'aaload' | 'arraylength' | 'isub' | 'return' };

const OPCODES = {
  aload: 0x19,
  astore: 0x3a,
  aload_0: 0x2a,
  astore_0: 0x4b,
  iconst_0: 0x03,
  ldc: 0x12,
  ldc_w: 0x13,
  checkcast: 0xc0,
  invokevirtual: 0xb6,
  invokestatic: 0xb8,
  invokeinterface: 0xb9,
  dup: 0x59,
  pop: 0x57,
  aaload: 0x32,
  arraylength: 0xbe,
  isub: 0x64,
  return: 0xb1,
} as const;

/** Operand-stack change of the fixed-effect instructions. */
const STACK_EFFECT = { dup: 1, pop: -1, aaload: -1, arraylength: 0, isub: -1, return: 0 } as const;

class ByteWriter {
  private readonly bytes: number[] = [];
  u1(value: number): this {
    this.bytes.push(value & 0xff);
    return this;
  }
  u2(value: number): this {
    return this.u1(value >> 8).u1(value);
  }
  u4(value: number): this {
    return this.u2(value >>> 16).u2(value & 0xffff);
  }
  raw(bytes: Uint8Array | number[]): this {
    for (const b of bytes) this.bytes.push(b);
    return this;
  }
  get length(): number {
    return this.bytes.length;
  }
  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** Java's "modified UTF-8": NUL as two bytes, characters outside the BMP as surrogate pairs. */
function modifiedUtf8(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return out;
}

/** The constant pool, each entry written once however often it is used. */
class ConstantPool {
  private readonly entries = new ByteWriter();
  private readonly index = new Map<string, number>();
  private count = 0;

  private add(key: string, write: (w: ByteWriter) => void): number {
    const known = this.index.get(key);
    if (known !== undefined) return known;
    write(this.entries);
    this.count += 1;
    // Entries are numbered from 1.
    this.index.set(key, this.count);
    return this.count;
  }

  utf8(text: string): number {
    const bytes = modifiedUtf8(text);
    return this.add(`utf8:${text}`, (w) => w.u1(1).u2(bytes.length).raw(bytes));
  }
  classRef(internalName: string): number {
    const name = this.utf8(internalName);
    return this.add(`class:${internalName}`, (w) => w.u1(7).u2(name));
  }
  string(text: string): number {
    const value = this.utf8(text);
    return this.add(`string:${text}`, (w) => w.u1(8).u2(value));
  }
  method(ref: MethodRef, onInterface: boolean): number {
    const owner = this.classRef(ref.owner);
    const name = this.utf8(ref.name);
    const descriptor = this.utf8(ref.descriptor);
    const nameAndType = this.add(`nat:${ref.name}:${ref.descriptor}`, (w) => w.u1(12).u2(name).u2(descriptor));
    const tag = onInterface ? 11 : 10;
    return this.add(`method:${tag}:${ref.owner}.${ref.name}${ref.descriptor}`, (w) => w.u1(tag).u2(owner).u2(nameAndType));
  }

  write(out: ByteWriter): void {
    out.u2(this.count + 1).raw(this.entries.toBuffer());
  }
}

/** Stack slots the arguments of a method descriptor take, and its return value's (0, 1 or 2). */
export function descriptorSlots(descriptor: string): { args: number; returns: number } {
  const match = /^\(([^)]*)\)(.+)$/.exec(descriptor);
  if (!match) throw new Error(`not a method descriptor: ${descriptor}`);
  const slotsOf = (type: string) => (type === 'V' ? 0 : type === 'J' || type === 'D' ? 2 : 1);
  let args = 0;
  for (const type of match[1].match(/\[*(?:L[^;]+;|[ZBCSIFJD])/g) ?? []) args += type.startsWith('[') ? 1 : slotsOf(type);
  return { args, returns: slotsOf(match[2]) };
}

/**
 * The bytes of `public final class <className> { public static void main(String[] args) { <code> } }`.
 * The operand-stack depth and the local variables the verifier expects are computed from the code.
 */
export function mainClassFile(className: string, code: readonly Instruction[]): Buffer {
  const pool = new ConstantPool();
  const bytecode = new ByteWriter();
  let depth = 0;
  let maxStack = 0;
  // `args` is local 0.
  let maxLocals = 1;
  const change = (delta: number) => {
    depth += delta;
    if (depth < 0) throw new Error(`the code of ${className} pops an empty operand stack`);
    maxStack = Math.max(maxStack, depth);
  };
  const constant = (index: number) => (index <= 0xff ? bytecode.u1(OPCODES.ldc).u1(index) : bytecode.u1(OPCODES.ldc_w).u2(index));

  for (const insn of code) {
    switch (insn.op) {
      case 'aload':
      case 'astore': {
        const short = insn.op === 'aload' ? OPCODES.aload_0 : OPCODES.astore_0;
        if (insn.local <= 3) bytecode.u1(short + insn.local);
        else bytecode.u1(OPCODES[insn.op]).u1(insn.local);
        maxLocals = Math.max(maxLocals, insn.local + 1);
        change(insn.op === 'aload' ? 1 : -1);
        break;
      }
      case 'iconst':
        bytecode.u1(OPCODES.iconst_0 + insn.value);
        change(1);
        break;
      case 'ldcString':
        constant(pool.string(insn.value));
        change(1);
        break;
      case 'ldcClass':
        constant(pool.classRef(insn.className));
        change(1);
        break;
      case 'checkcast':
        bytecode.u1(OPCODES.checkcast).u2(pool.classRef(insn.className));
        break;
      case 'invokestatic':
      case 'invokestaticInterface':
      case 'invokevirtual':
      case 'invokeinterface': {
        const slots = descriptorSlots(insn.method.descriptor);
        const receiver = insn.op === 'invokevirtual' || insn.op === 'invokeinterface' ? 1 : 0;
        const ref = pool.method(insn.method, insn.op === 'invokeinterface' || insn.op === 'invokestaticInterface');
        if (insn.op === 'invokeinterface') bytecode.u1(OPCODES.invokeinterface).u2(ref).u1(slots.args + 1).u1(0);
        else bytecode.u1(insn.op === 'invokevirtual' ? OPCODES.invokevirtual : OPCODES.invokestatic).u2(ref);
        change(-(slots.args + receiver));
        change(slots.returns);
        break;
      }
      default:
        bytecode.u1(OPCODES[insn.op]);
        change(STACK_EFFECT[insn.op]);
    }
  }
  if (code[code.length - 1]?.op !== 'return') throw new Error(`the code of ${className} must end with return`);

  const thisClass = pool.classRef(className);
  const superClass = pool.classRef('java/lang/Object');
  const mainName = pool.utf8('main');
  const mainDescriptor = pool.utf8('([Ljava/lang/String;)V');
  const codeName = pool.utf8('Code');

  const out = new ByteWriter();
  out.u4(0xcafebabe).u2(0).u2(CLASS_FILE_MAJOR_VERSION);
  pool.write(out);
  // ACC_PUBLIC | ACC_FINAL | ACC_SUPER; no interfaces, no fields; no constructor, as nothing creates one.
  out.u2(0x0031).u2(thisClass).u2(superClass).u2(0).u2(0);
  // One method: ACC_PUBLIC | ACC_STATIC main, with its Code attribute and nothing else.
  out.u2(1).u2(0x0009).u2(mainName).u2(mainDescriptor).u2(1);
  out.u2(codeName).u4(12 + bytecode.length).u2(maxStack).u2(maxLocals).u4(bytecode.length).raw(bytecode.toBuffer()).u2(0).u2(0);
  // No class attributes.
  out.u2(0);
  return out.toBuffer();
}
