/**
 * The test command's stdout and stderr, as pipes this process reads, each into one buffer of its own that
 * every read reuses. No `@actions/core` here.
 *
 * Why not spawn's own pipes: child_process reads them into a new 64 KB buffer at every read. Each is
 * garbage once written on, but V8 collects such buffers only when about 64 MB more of them are held than
 * after its last collection, so a suite printing a gigabyte kept the action's RSS some 70 MB above its
 * idle size (bench: "scan mode's test output", 155 MB against a target under 120 MB). A stream over a
 * descriptor of our own can be read into one reused buffer (net.Socket's `onread`), which leaves nothing
 * to collect. Node makes no anonymous pipe outside spawn, so the pipes are FIFOs, made with `mkfifo` in a
 * directory of our own and unlinked at once: to the command they are pipes all the same (`test -p`,
 * /dev/stdout, SIGPIPE once this end is closed). Where no FIFO can be made (no `mkfifo`; Windows), spawn's
 * pipes are streamed as before: correct, with the larger peak.
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { closeSync, constants, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Readable, Writable } from 'node:stream'

const run = promisify(execFile)

/** The most one read takes: what a pipe holds (Linux), so a full pipe is emptied in one read. */
const READ_BYTES = 64 * 1024

export interface OutputPipes {
  /** The command's stdout and stderr, as spawn's `stdio` takes them. */
  stdio: [number, number] | ['pipe', 'pipe']
  /**
   * Called once, just after spawn (whether or not the command started): closes this process's copy of
   * the command's ends and reads both pipes into `output`, never ending it (the log goes on: the resume,
   * processes left running). Each chunk is lent: its bytes are valid until
   * the callback of its `write`, after which the next read reuses them (a log that keeps chunks copies
   * them). The next read waits for that callback: a log that is behind holds the command back. The
   * streams returned close when their pipe reaches its end; destroying them stops the reading.
   */
  read(child: ChildProcess, output: Writable): Readable[]
}

/** FIFOs for the command's output where the system makes them, else spawn's own pipes. */
export async function outputPipes(): Promise<OutputPipes> {
  const fifos = await openFifos().catch(() => undefined)
  if (fifos === undefined) return { stdio: ['pipe', 'pipe'], read: streamed }
  return {
    stdio: [fifos[0].write, fifos[1].write],
    read: (_child, output) =>
      fifos.map(({ read, write }) => {
        // The command holds its own copy now: its end is reached when the command's processes close theirs.
        closeSync(write)
        return readInto(read, output)
      })
  }
}

/** spawn's pipes, piped (a chunk is a new buffer at each read). */
function streamed(child: ChildProcess, output: Writable): Readable[] {
  const pipes = [child.stdout!, child.stderr!]
  // Not ended with the pipes: the log goes on (the resume, processes left running, the next command).
  for (const pipe of pipes) pipe.pipe(output, { end: false })
  return pipes
}

/** The descriptor read one chunk at a time into one buffer, each read once `output` took the last. */
function readInto(fd: number, output: Writable): Socket {
  const buffer = Buffer.allocUnsafeSlow(READ_BYTES)
  const socket: Socket = new Socket({
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer,
      callback: (bytes) => {
        output.write(buffer.subarray(0, bytes), () => socket.resume())
        // Paused until that write is done with the buffer.
        return false
      }
    }
  })
  // A read error ends this pipe (its 'close' follows); it must not end the step.
  socket.on('error', () => undefined)
  return socket
}

interface Fifo {
  read: number
  write: number
}

/** Two FIFOs, both ends open, their names already gone; rejects where none can be made. */
async function openFifos(): Promise<[Fifo, Fifo]> {
  const dir = mkdtempSync(join(tmpdir(), 'fast-output-'))
  const opened: number[] = []
  const open = (path: string, flags: number): number => {
    const fd = openSync(path, flags)
    opened.push(fd)
    return fd
  }
  try {
    const paths = [join(dir, 'stdout'), join(dir, 'stderr')] as const
    await run('mkfifo', ['-m', '600', ...paths])
    const fifo = (path: string): Fifo => {
      // Ours first, and non-blocking: the write end's open then finds a reader and does not wait.
      const read = open(path, constants.O_RDONLY | constants.O_NONBLOCK)
      // A `mkfifo` that made something else (an emulation, as on Windows) would lose the output.
      if (!fstatSync(read).isFIFO()) throw new Error(`${path} is not a FIFO`)
      return { read, write: open(path, constants.O_WRONLY) }
    }
    return [fifo(paths[0]), fifo(paths[1])]
  } catch (err) {
    for (const fd of opened) closeSync(fd)
    throw err
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
