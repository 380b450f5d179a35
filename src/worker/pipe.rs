//! A bounded, in-memory byte pipe between an async download (writer) and a blocking parser
//! thread (reader). The writer waits when the reader falls behind, which in turn slows the
//! download: memory stays bounded by the capacity. "Load all rows" and streamed exports use it.

use std::io;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

enum Message {
    Chunk(Vec<u8>),
    /// The stream is complete; without it, a closed writer is a broken-off stream.
    End,
}

/// A pipe holding at most `capacity_chunks` unread writes.
pub(super) fn pipe(capacity_chunks: usize) -> (PipeWriter, PipeReader) {
    let (sender, receiver) = sync_channel(capacity_chunks.max(1));
    (PipeWriter { sender }, PipeReader { receiver, chunk: Vec::new(), position: 0, ended: false })
}

/// The writing end.
pub(super) struct PipeWriter {
    sender: SyncSender<Message>,
}

impl PipeWriter {
    /// Marks the stream complete.
    pub(super) fn finish(self) -> io::Result<()> {
        self.send(Message::End)
    }

    fn send(&self, message: Message) -> io::Result<()> {
        match self.sender.try_send(message) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(message)) => {
                let send = || self.sender.send(message).map_err(|_| broken_pipe());
                // Waiting for the reader on a runtime thread: tell tokio, so other
                // tasks move to another thread meanwhile.
                let on_multi_thread_runtime = tokio::runtime::Handle::try_current().is_ok_and(|handle| {
                    handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
                });
                if on_multi_thread_runtime { tokio::task::block_in_place(send) } else { send() }
            }
            Err(TrySendError::Disconnected(_)) => Err(broken_pipe()),
        }
    }
}

fn broken_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the CSV reader stopped")
}

impl io::Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.send(Message::Chunk(buf.to_vec()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The reading end; blocks until data arrives.
pub(super) struct PipeReader {
    receiver: Receiver<Message>,
    chunk: Vec<u8>,
    position: usize,
    ended: bool,
}

impl io::Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let rest = self.chunk.get(self.position..).unwrap_or_default();
            if !rest.is_empty() {
                let n = rest.len().min(buf.len());
                buf.get_mut(..n).unwrap_or_default().copy_from_slice(rest.get(..n).unwrap_or_default());
                self.position += n;
                return Ok(n);
            }
            if self.ended {
                return Ok(0);
            }
            match self.receiver.recv() {
                Ok(Message::Chunk(chunk)) => {
                    self.chunk = chunk;
                    self.position = 0;
                }
                Ok(Message::End) => self.ended = true,
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the export stopped before its end",
                    ));
                }
            }
        }
    }
}

/// Chunks a download may get ahead of the CSV reader (each is one network chunk, usually
/// a few KiB to 64 KiB), bounding the memory of the pipe.
pub(super) const PIPE_CAPACITY_CHUNKS: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipe_delivers_every_byte_and_a_broken_off_stream_is_an_error() {
        use std::io::{Read as _, Write as _};
        let (mut writer, mut reader) = pipe(2);
        let producer = std::thread::spawn(move || {
            for i in 0..1000u32 {
                writer.write_all(format!("{i},").as_bytes()).unwrap();
            }
            writer.finish().unwrap();
        });
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        producer.join().unwrap();
        let expected: String = (0..1000u32).map(|i| format!("{i},")).collect();
        assert_eq!(text, expected);

        let (mut writer, mut reader) = pipe(2);
        writer.write_all(b"partial").unwrap();
        drop(writer);
        let mut text = String::new();
        let error = reader.read_to_string(&mut text).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);

        // A reader that went away makes the writer fail instead of blocking forever.
        let (mut writer, reader) = pipe(1);
        drop(reader);
        assert_eq!(writer.write(b"x").unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    }
}
