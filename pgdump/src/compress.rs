//! Decompression of dump data, streaming, with truncation detected.
//!
//! `compress_io.c` and `compress_{gzip,lz4,zstd}.c` (PostgreSQL 16+; before 16 only zlib):
//! the custom format compresses each data block as one stream split into length-prefixed
//! chunks — a zlib stream (`deflateInit`, not gzip) for gzip, an LZ4 frame (LZ4F API), a
//! Zstandard frame; the directory format writes whole files: `<id>.dat.gz` (gzip),
//! `.dat.lz4` (one LZ4 frame), `.dat.zst` (one Zstandard frame). A stream that ends before
//! its end mark is an error here, not a short read.

use std::io::{self, BufRead, Read};

use super::toc::Compression;

/// A reader for `compression` over `input`.
pub(crate) fn decoder<'a, R: Read + 'a>(compression: Compression, input: R, zlib: bool) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(input),
        Compression::Gzip if zlib => Box::new(Zlib::new(input)),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 16, input))),
        Compression::Lz4 => Box::new(Lz4::new(input)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(input)?),
    })
}

/// Sniffs the compression of a whole file from its first bytes.
pub(crate) fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        Compression::Lz4
    } else {
        Compression::None
    }
}

fn truncated(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, format!("the {what} stream ends before its end mark: the data is truncated"))
}

/// A zlib stream that must reach its end (flate2's readers return a short read instead).
pub(crate) struct Zlib<R> {
    input: io::BufReader<R>,
    state: flate2::Decompress,
    done: bool,
}

impl<R: Read> Zlib<R> {
    pub fn new(input: R) -> Self {
        Zlib { input: io::BufReader::with_capacity(1 << 16, input), state: flate2::Decompress::new(true), done: false }
    }
}

impl<R: Read> Read for Zlib<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.input.fill_buf()?;
            let eof = input.is_empty();
            let (before_in, before_out) = (self.state.total_in(), self.state.total_out());
            let status = self
                .state
                .decompress(input, out, if eof { flate2::FlushDecompress::Finish } else { flate2::FlushDecompress::None })
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("corrupt zlib data: {e}")))?;
            let used = (self.state.total_in() - before_in) as usize;
            let made = (self.state.total_out() - before_out) as usize;
            self.input.consume(used);
            if status == flate2::Status::StreamEnd {
                self.done = true;
                return Ok(made);
            }
            if made > 0 {
                return Ok(made);
            }
            if eof {
                return Err(truncated("zlib"));
            }
            if used == 0 && status == flate2::Status::BufError {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt zlib data"));
            }
        }
    }
}

/// One or more LZ4 frames, the last of which must end. (lz4_flex's decoder takes input that
/// stops between two blocks for the end of the frame, so the framing is followed here too.)
pub(crate) struct Lz4<R: Read> {
    inner: lz4_flex::frame::FrameDecoder<Lz4Frames<R>>,
}

impl<R: Read> Lz4<R> {
    pub fn new(input: R) -> Self {
        Lz4 { inner: lz4_flex::frame::FrameDecoder::new(Lz4Frames { inner: input, state: FrameState::Magic, need: 4, got: Vec::new(), flags: 0, frames: 0, eof: false }) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameState {
    Magic,
    Descriptor,
    BlockSize,
    BlockData,
    ContentChecksum,
}

/// Passes the bytes of LZ4 frames through, following their layout (magic, descriptor, blocks
/// each a size then data and an optional checksum, the zero end mark, an optional content
/// checksum), and fails at an end of input that is not between two frames.
pub(crate) struct Lz4Frames<R> {
    inner: R,
    state: FrameState,
    /// Bytes still to pass in this state.
    need: u64,
    /// The bytes of a size or descriptor being collected.
    got: Vec<u8>,
    flags: u8,
    frames: u64,
    /// The input has ended (between two frames).
    eof: bool,
}

impl<R: Read> Lz4Frames<R> {
    fn advance(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("corrupt lz4 data: {what}"));
        while !bytes.is_empty() {
            if self.state == FrameState::BlockData || self.state == FrameState::ContentChecksum {
                let n = (self.need.min(bytes.len() as u64)) as usize;
                bytes = &bytes[n..];
                self.need -= n as u64;
                if self.need == 0 {
                    if self.state == FrameState::ContentChecksum {
                        self.frames += 1;
                        self.state = FrameState::Magic;
                        self.need = 4;
                    } else {
                        self.state = FrameState::BlockSize;
                        self.need = 4;
                    }
                }
                continue;
            }
            self.got.push(bytes[0]);
            bytes = &bytes[1..];
            match self.state {
                FrameState::Magic if self.got.len() == 4 => {
                    if self.got != [0x04, 0x22, 0x4d, 0x18] {
                        return Err(bad("no frame magic"));
                    }
                    self.got.clear();
                    self.state = FrameState::Descriptor;
                }
                FrameState::Descriptor if self.got.len() == 1 => {
                    self.flags = self.got[0];
                }
                FrameState::Descriptor => {
                    // FLG, BD, content size (8) and dictionary id (4) if flagged, header checksum.
                    let len = 3 + if self.flags & 0x08 != 0 { 8 } else { 0 } + if self.flags & 0x01 != 0 { 4 } else { 0 };
                    if self.got.len() == len {
                        self.got.clear();
                        self.state = FrameState::BlockSize;
                    }
                }
                FrameState::BlockSize if self.got.len() == 4 => {
                    let size = u32::from_le_bytes([self.got[0], self.got[1], self.got[2], self.got[3]]);
                    self.got.clear();
                    if size == 0 {
                        self.state = FrameState::ContentChecksum;
                        self.need = if self.flags & 0x04 != 0 { 4 } else { 0 };
                        if self.need == 0 {
                            self.frames += 1;
                            self.state = FrameState::Magic;
                        }
                    } else {
                        self.state = FrameState::BlockData;
                        self.need = u64::from(size & 0x7fff_ffff) + if self.flags & 0x10 != 0 { 4 } else { 0 };
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Lz4Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.eof |= n == 0 && !buf.is_empty();
        if n == 0 && !buf.is_empty() && (self.state != FrameState::Magic || !self.got.is_empty() || self.frames == 0) {
            // Not UnexpectedEof: lz4_flex takes that, between blocks, for the end of the frame.
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the lz4 stream ends before its end mark: the data is truncated"));
        }
        self.advance(&buf[..n])?;
        Ok(n)
    }
}

impl<R: Read> Read for Lz4<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(out).map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => truncated("lz4"),
                _ if e.to_string().starts_with("the lz4") || e.to_string().starts_with("corrupt lz4") => e,
                _ => io::Error::new(io::ErrorKind::InvalidData, format!("corrupt lz4 data: {e}")),
            })?;
            // lz4_flex returns 0 at the end of each frame: the input's end is the end, and
            // another frame may follow (`cat a.lz4 b.lz4`).
            if n > 0 || out.is_empty() || self.inner.get_ref().eof {
                return Ok(n);
            }
        }
    }
}

/// Reads from a helper thread that runs `open` and reads what it returns, 1 MiB at a time,
/// a few chunks ahead: decompression runs beside the parsing.
pub(crate) fn read_ahead<'scope, 'env, F>(scope: &'scope std::thread::Scope<'scope, 'env>, open: F) -> ReadAhead
where
    F: FnOnce() -> io::Result<Box<dyn Read>> + Send + 'scope,
{
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
    scope.spawn(move || {
        let mut reader = match open() {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        loop {
            let mut chunk = vec![0u8; 1 << 20];
            let mut filled = 0;
            while filled < chunk.len() {
                match reader.read(&mut chunk[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
            chunk.truncate(filled);
            let last = filled == 0;
            if tx.send(Ok(chunk)).is_err() || last {
                return;
            }
        }
    });
    ReadAhead { rx, chunk: Vec::new(), at: 0, ended: false }
}

/// The reading end of [`read_ahead`].
pub(crate) struct ReadAhead {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    ended: bool,
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.ended = chunk.is_empty();
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::Error::other("the reading thread stopped")),
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn all(compression: Compression, bytes: &[u8], zlib: bool) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decoder(compression, bytes, zlib)?.read_to_end(&mut out)?;
        Ok(out)
    }

    fn sample() -> Vec<u8> {
        (0..200_000u32).flat_map(|i| format!("{i}\trow {}\n", i * 7).into_bytes()).collect()
    }

    #[test]
    fn each_codec_reads_whole_streams_and_refuses_cut_ones() {
        let data = sample();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&data).unwrap();
        let zlib = z.finish().unwrap();
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        g.write_all(&data).unwrap();
        let gzip = g.finish().unwrap();
        let mut l = lz4_flex::frame::FrameEncoder::new(Vec::new());
        l.write_all(&data).unwrap();
        let lz4 = l.finish().unwrap();
        let zst = zstd::encode_all(&data[..], 3).unwrap();
        for (name, c, bytes, zl) in
            [("zlib", Compression::Gzip, &zlib, true), ("gzip", Compression::Gzip, &gzip, false), ("lz4", Compression::Lz4, &lz4, false), ("zstd", Compression::Zstd, &zst, false)]
        {
            assert_eq!(all(c, bytes, zl).unwrap(), data, "{name}");
            for cut in [bytes.len() / 3, bytes.len() - 4, bytes.len() - 1] {
                assert!(all(c, &bytes[..cut], zl).is_err(), "{name} cut at {cut} of {}", bytes.len());
            }
            let mut flipped = bytes.clone();
            let mid = flipped.len() / 2;
            for b in &mut flipped[mid..mid + 16] {
                *b ^= 0x55;
            }
            assert!(all(c, &flipped, zl).map(|d| d != data).unwrap_or(true), "{name}: corruption noticed");
        }
        assert_eq!(sniff(&gzip), Compression::Gzip);
        assert_eq!(sniff(&lz4), Compression::Lz4);
        assert_eq!(sniff(&zst), Compression::Zstd);
        assert_eq!(sniff(b"--\n"), Compression::None);
    }

    #[test]
    fn every_frame_of_a_concatenated_lz4_stream_is_read() {
        let data = sample();
        let frame = |d: &[u8]| {
            let mut l = lz4_flex::frame::FrameEncoder::new(Vec::new());
            l.write_all(d).unwrap();
            l.finish().unwrap()
        };
        let mut both = frame(&data[..1000]);
        both.extend(frame(&[]));
        both.extend(frame(&data[1000..]));
        assert_eq!(all(Compression::Lz4, &both, false).unwrap(), data);
        assert!(all(Compression::Lz4, &both[..both.len() - 3], false).is_err());
    }

    #[test]
    fn read_ahead_gives_the_same_bytes_and_the_error() {
        let data = sample();
        std::thread::scope(|s| {
            let d = data.clone();
            let mut r = read_ahead(s, move || Ok(Box::new(io::Cursor::new(d)) as Box<dyn Read>));
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, data);
            let mut r = read_ahead(s, || Err(io::Error::other("no such file")));
            assert!(r.read_to_end(&mut Vec::new()).is_err());
        });
    }
}
