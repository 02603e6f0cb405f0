//! Parsing a DICOM file whose every allocation is bounded by the bytes the file holds.
//!
//! The dicom-rs parser reserves (and zero-fills) a buffer of an element's declared value length before it
//! reads the value, so a file of 2 KB that declares a value of 1.2 GB makes it ask for 1.2 GB, and only
//! then find that the file ends. Here the file is held in memory first (within the
//! [`ReadOptions`](crate::image::io::ReadOptions) limit), and the parser is driven over it through
//! [`Bounded`], a decoder that passes every element and item header on only when its declared length fits
//! in the bytes still unread. The lengths checked are those of the headers the parser itself decodes, in
//! the order it decodes them, so the check and the parse cannot disagree about where an element starts.
//! What the parser then reserves for a value is at most the rest of the file (for a list of 32-bit
//! integers read from an offset table, four times that).
//!
//! The file meta group, which the parser reads with its own loop, is walked here first the same way
//! (explicit VR little endian headers, until the group length is reached), each length checked likewise.
//! A deflated data set is inflated here (no further than the limit) and parsed from the inflated bytes.

use std::cell::Cell;
use std::io::Read;

use dicom_core::header::{DataElementHeader, HasLength, Length, SequenceItemHeader};
use dicom_core::{PrimitiveValue, Tag};
use dicom_dictionary_std::{tags, uids};
use dicom_encoding::decode::explicit_le::ExplicitVRLittleEndianDecoder;
use dicom_encoding::decode::Decode;
use dicom_encoding::text::SpecificCharacterSet;
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_encoding::Codec;
use dicom_object::{DefaultDicomObject, FileMetaTable, InMemDicomObject, StandardDataDictionary};
use dicom_parser::stateful::decode::{
    DynStatefulDecoder, Error as DecodeError, Result as DecodeResult, StatefulDecode,
};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use crate::error::{Error, ErrorKind, Result};

/// Bytes of the preamble before `DICM`.
const PREAMBLE: usize = 128;

/// Parses a DICOM Part 10 file held in `bytes` (preamble, `DICM`, file meta group, data set). With
/// `header_only`, pixel data values (native or encapsulated) are skipped rather than read. `limit` bounds
/// the inflated size of a deflated data set. Errors are [`ErrorKind::Format`] (or
/// [`ErrorKind::LimitExceeded`] for a deflated data set past `limit`), without the file's name.
pub(crate) fn parse(bytes: &[u8], header_only: bool, limit: usize) -> Result<DefaultDicomObject> {
    if bytes.len() < PREAMBLE + 4 || &bytes[PREAMBLE..PREAMBLE + 4] != b"DICM" {
        return Err(Error::format(
            "not a DICOM file (no 'DICM' after the 128-byte preamble)",
        ));
    }
    let meta_end = PREAMBLE + meta_group_len(&bytes[PREAMBLE..])?;
    let meta = FileMetaTable::from_reader(&bytes[PREAMBLE..meta_end])
        .map_err(|e| Error::format(format!("unreadable file meta group ({})", chain(&e))))?;
    let uid = meta.transfer_syntax().to_string();
    let ts = TransferSyntaxRegistry
        .get(&uid)
        .ok_or_else(|| Error::format(format!("unknown transfer syntax {uid}")))?;
    let inflated;
    let (data, ts) = match ts.codec() {
        Codec::Dataset(_) if uid == uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN => {
            inflated = inflate_raw(&bytes[meta_end..], limit)?;
            let explicit = TransferSyntaxRegistry
                .get(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .expect("explicit VR little endian is registered");
            (&inflated[..], explicit)
        }
        Codec::Dataset(_) => {
            return Err(Error::format(format!(
                "unsupported transfer syntax {uid} ({})",
                ts.name()
            )))
        }
        Codec::None | Codec::EncapsulatedPixelData(..) => (&bytes[meta_end..], ts),
    };
    let consumed = Cell::new(0);
    let refusal = Cell::new(None);
    let source = Counting {
        data,
        consumed: &consumed,
    };
    let inner = DynStatefulDecoder::new_with(source, ts, SpecificCharacterSet::default(), 0)
        .map_err(|e| Error::format(format!("unsupported transfer syntax {uid} ({})", chain(&e))))?;
    let decoder = Bounded {
        inner,
        total: data.len(),
        consumed: &consumed,
        refusal: &refusal,
        header_only,
    };
    match InMemDicomObject::read_dataset_with_dict(decoder, StandardDataDictionary) {
        Ok(obj) => Ok(obj.with_exact_meta(meta)),
        // The refusal says more than the parser's error that carries it.
        Err(e) => Err(Error::format(refusal.take().unwrap_or_else(|| chain(&e)))),
    }
}

/// An error and its sources, `outer: inner: ...` (the parser's outer errors alone say little).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The length of `DICM` and the file meta group at the start of `bytes`, walked as the parser walks it
/// (the group length element first, then elements until that many bytes are read); every declared length
/// must fit in the bytes left.
fn meta_group_len(bytes: &[u8]) -> Result<usize> {
    let decoder = ExplicitVRLittleEndianDecoder::default();
    let mut rest = &bytes[4..];
    let bad = |what: String| Error::format(format!("file meta group: {what}"));
    let (header, _) = decoder
        .decode_header(&mut rest)
        .map_err(|e| bad(format!("unreadable ({})", chain(&e))))?;
    if header.tag != Tag(0x0002, 0x0000) || header.length() != Length(4) || rest.len() < 4 {
        return Err(bad(
            "it does not start with its group length (0002,0000)".into()
        ));
    }
    let group_len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
    rest = &rest[4..];
    let mut read: u32 = 0;
    while read < group_len {
        let (header, header_len) = decoder
            .decode_header(&mut rest)
            .map_err(|e| bad(format!("unreadable ({})", chain(&e))))?;
        let len = header
            .length()
            .get()
            .ok_or_else(|| bad(format!("element {} has an undefined length", header.tag)))?;
        if len as usize > rest.len() {
            return Err(bad(format!(
                "element {} declares {len} bytes where {} are left in the file",
                header.tag,
                rest.len()
            )));
        }
        rest = &rest[len as usize..];
        read = read.saturating_add(header_len as u32).saturating_add(len);
    }
    Ok(bytes.len() - rest.len())
}

/// Inflates a raw deflate stream (the deflated explicit VR little endian transfer syntax) to at most
/// `limit` bytes.
fn inflate_raw(deflated: &[u8], limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(deflated)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::format(format!("the deflated data set is corrupt ({e})")))?;
    if out.len() > limit {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("the deflated data set inflates to more than {limit} bytes, the limit for this file"),
        ));
    }
    Ok(out)
}

/// A reader over bytes in memory that counts what it has handed out.
struct Counting<'a> {
    data: &'a [u8],
    consumed: &'a Cell<usize>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.data[self.consumed.get()..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.consumed.set(self.consumed.get() + n);
        Ok(n)
    }
}

/// The parser's decoder, passing on a header only when its declared length fits in the bytes left, and
/// skipping pixel data values when only the header is wanted.
struct Bounded<'a> {
    inner: DynStatefulDecoder<Counting<'a>>,
    total: usize,
    consumed: &'a Cell<usize>,
    /// Why a header was refused (the parser's own error type cannot say it).
    refusal: &'a Cell<Option<String>>,
    header_only: bool,
}

impl Bounded<'_> {
    fn check(&self, what: String, len: Length) -> DecodeResult<()> {
        let left = self.total - self.consumed.get();
        match len.get() {
            Some(n) if n as usize > left => {
                self.refusal.set(Some(format!(
                    "{what} at byte {} of the data set declares {n} bytes where {left} are left in the file",
                    self.consumed.get()
                )));
                Err(DecodeError::AllocateValueData { len: n })
            }
            _ => Ok(()),
        }
    }

    /// Whether the value of `header` is skipped rather than read.
    fn skips(&self, header: &DataElementHeader) -> bool {
        self.header_only && header.tag == tags::PIXEL_DATA
    }

    fn skip(&mut self, header: &DataElementHeader) -> DecodeResult<PrimitiveValue> {
        if let Some(n) = header.length().get() {
            self.inner.skip_bytes(n)?;
        }
        Ok(PrimitiveValue::Empty)
    }
}

impl<'a> StatefulDecode for Bounded<'a> {
    type Reader = Counting<'a>;

    fn decode_header(&mut self) -> DecodeResult<DataElementHeader> {
        let header = self.inner.decode_header()?;
        self.check(format!("element {}", header.tag), header.length())?;
        Ok(header)
    }

    fn decode_item_header(&mut self) -> DecodeResult<SequenceItemHeader> {
        let header = self.inner.decode_item_header()?;
        if let SequenceItemHeader::Item { len } = header {
            self.check("an item".into(), len)?;
        }
        Ok(header)
    }

    fn read_value(&mut self, header: &DataElementHeader) -> DecodeResult<PrimitiveValue> {
        if self.skips(header) {
            return self.skip(header);
        }
        self.inner.read_value(header)
    }

    fn read_value_preserved(&mut self, header: &DataElementHeader) -> DecodeResult<PrimitiveValue> {
        if self.skips(header) {
            return self.skip(header);
        }
        self.inner.read_value_preserved(header)
    }

    fn read_value_bytes(&mut self, header: &DataElementHeader) -> DecodeResult<PrimitiveValue> {
        if self.skips(header) {
            return self.skip(header);
        }
        self.inner.read_value_bytes(header)
    }

    /// Reads a fragment of encapsulated pixel data (the only use the data set reader makes of it).
    fn read_to_vec(&mut self, length: u32, vec: &mut Vec<u8>) -> DecodeResult<()> {
        if self.header_only {
            return self.inner.skip_bytes(length);
        }
        self.inner.read_to_vec(length, vec)
    }

    fn read_u32_to_vec(&mut self, length: u32, vec: &mut Vec<u32>) -> DecodeResult<()> {
        self.inner.read_u32_to_vec(length, vec)
    }

    fn read_to<W>(&mut self, length: u32, out: W) -> DecodeResult<()>
    where
        Self: Sized,
        W: std::io::Write,
    {
        self.inner.read_to(length, out)
    }

    fn skip_bytes(&mut self, length: u32) -> DecodeResult<()> {
        self.inner.skip_bytes(length)
    }

    fn seek(&mut self, position: u64) -> DecodeResult<()>
    where
        Self::Reader: std::io::Seek,
    {
        self.inner.seek(position)
    }

    fn position(&self) -> u64 {
        self.inner.position()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of explicit VR little endian with the given data set bytes.
    fn file(data_set: &[u8]) -> Vec<u8> {
        let mut meta = Vec::new();
        let ts = b"1.2.840.10008.1.2.1\0";
        meta.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
        meta.extend_from_slice(&(ts.len() as u16).to_le_bytes());
        meta.extend_from_slice(ts);
        let mut out = vec![0u8; PREAMBLE];
        out.extend_from_slice(b"DICM");
        out.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0]);
        out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        out.extend_from_slice(&meta);
        out.extend_from_slice(data_set);
        out
    }

    fn element(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.0.to_le_bytes());
        e.extend_from_slice(&tag.1.to_le_bytes());
        e.extend_from_slice(vr);
        e.extend_from_slice(&(value.len() as u16).to_le_bytes());
        e.extend_from_slice(value);
        e
    }

    #[test]
    fn a_small_file_parses() {
        let mut ds = element((0x0008, 0x0060), b"CS", b"CT");
        ds.extend(element((0x0028, 0x0010), b"US", &2u16.to_le_bytes()));
        let obj = parse(&file(&ds), false, 1 << 20).unwrap();
        assert_eq!(obj.get(tags::MODALITY).unwrap().to_str().unwrap(), "CT");
        assert_eq!(obj.get(tags::ROWS).unwrap().to_int::<u16>().unwrap(), 2);
    }

    #[test]
    fn a_declared_length_past_the_end_is_refused() {
        // An OB element declaring 1.2 GB in a file of a few hundred bytes.
        let mut ds = element((0x0008, 0x0060), b"CS", b"CT");
        ds.extend_from_slice(&[0x09, 0x00, 0x10, 0x10, b'O', b'B', 0, 0]);
        ds.extend_from_slice(&1_200_000_000u32.to_le_bytes());
        ds.extend_from_slice(&[0u8; 64]);
        let e = parse(&file(&ds), false, 1 << 20).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format, "{e}");
        assert!(
            e.message().contains("(0009,1010)") && e.message().contains("1200000000 bytes"),
            "{e}"
        );
        // The same in an item of a sequence of undefined length.
        let mut ds = vec![
            0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xff, 0xff, 0xff, 0xff,
        ];
        ds.extend_from_slice(&[0xfe, 0xff, 0x00, 0xe0]);
        ds.extend_from_slice(&4_000_000_000u32.to_le_bytes());
        let e = parse(&file(&ds), false, 1 << 20).unwrap_err();
        assert!(e.message().contains("an item"), "{e}");
        // And in the file meta group.
        let mut f = file(&[]);
        let at = PREAMBLE + 4 + 12 + 6;
        f[at..at + 2].copy_from_slice(&0xfff0u16.to_le_bytes());
        let e = parse(&f, false, 1 << 20).unwrap_err();
        assert!(e.message().contains("file meta group"), "{e}");
    }

    #[test]
    fn header_only_skips_pixel_data() {
        let mut ds = element((0x0028, 0x0010), b"US", &2u16.to_le_bytes());
        ds.extend_from_slice(&[0xe0, 0x7f, 0x10, 0x00, b'O', b'W', 0, 0]);
        ds.extend_from_slice(&8u32.to_le_bytes());
        ds.extend_from_slice(&[1, 0, 2, 0, 3, 0, 4, 0]);
        let f = file(&ds);
        let whole = parse(&f, false, 1 << 20).unwrap();
        assert_eq!(
            whole
                .get(tags::PIXEL_DATA)
                .unwrap()
                .to_bytes()
                .unwrap()
                .len(),
            8
        );
        let head = parse(&f, true, 1 << 20).unwrap();
        assert!(head
            .get(tags::PIXEL_DATA)
            .is_none_or(|e| e.to_bytes().map_or(true, |b| b.is_empty())));
        assert_eq!(head.get(tags::ROWS).unwrap().to_int::<u16>().unwrap(), 2);
    }
}
