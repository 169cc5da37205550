//! The protobuf wire format: a message is a sequence of (field number, value) pairs.

/// One field value as it is on the wire.
#[derive(Debug, Clone, Copy)]
pub enum Wire<'a> {
    /// Wire type 0: an integer or bool.
    Varint(u64),
    /// Wire type 1: 8 bytes (a double).
    Fixed64(u64),
    /// Wire type 2: a string, bytes, a message or a packed list.
    Bytes(&'a [u8]),
    /// Wire type 5: 4 bytes (a float).
    Fixed32(u32),
}

/// Reads a varint at `pos`, advancing it.
pub fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

fn take<'a>(buf: &'a [u8], pos: &mut usize, n: usize) -> Option<&'a [u8]> {
    let bytes = buf.get(*pos..pos.checked_add(n)?)?;
    *pos += n;
    Some(bytes)
}

/// The fields of a message in wire order, or `None` when it is malformed.
pub fn fields(buf: &[u8]) -> Option<Vec<(u64, Wire<'_>)>> {
    let mut pos = 0;
    let mut out = vec![];
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let wire = match key & 7 {
            0 => Wire::Varint(varint(buf, &mut pos)?),
            1 => Wire::Fixed64(u64::from_le_bytes(take(buf, &mut pos, 8)?.try_into().ok()?)),
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                Wire::Bytes(take(buf, &mut pos, len)?)
            }
            5 => Wire::Fixed32(u32::from_le_bytes(take(buf, &mut pos, 4)?.try_into().ok()?)),
            _ => return None,
        };
        out.push((key >> 3, wire));
    }
    Some(out)
}

/// The values of a packed repeated scalar field.
pub fn packed(buf: &[u8], fixed64: bool) -> Option<Vec<Wire<'_>>> {
    let mut pos = 0;
    let mut out = vec![];
    while pos < buf.len() {
        out.push(if fixed64 {
            Wire::Fixed64(u64::from_le_bytes(take(buf, &mut pos, 8)?.try_into().ok()?))
        } else {
            Wire::Varint(varint(buf, &mut pos)?)
        });
    }
    Some(out)
}
