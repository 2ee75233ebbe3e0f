namespace Berth.ApiServer.Protobuf;

/// <summary>Reads protocol buffer wire data: tags, varints, fixed-width numbers and length-delimited fields.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position >= _data.Length;

    public (int Field, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        var field = (int)(tag >> 3);
        if (field <= 0)
            throw new FormatException($"invalid field number {field} at byte {_position}");
        return (field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
                throw new FormatException("truncated varint");
            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new FormatException("varint longer than 10 bytes");
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
            throw new FormatException($"a field of {length} bytes runs past the end of its message");
        var span = _data.Slice(_position, (int)length);
        _position += (int)length;
        return span;
    }

    public ulong ReadFixed64()
    {
        if (_data.Length - _position < 8)
            throw new FormatException("truncated fixed64");
        var value = BitConverter.ToUInt64(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                ReadFixed64();
                break;
            case LengthDelimited:
                ReadLengthDelimited();
                break;
            case Fixed32:
                if (_data.Length - _position < 4)
                    throw new FormatException("truncated fixed32");
                _position += 4;
                break;
            default:
                throw new FormatException($"unsupported wire type {wireType}");
        }
    }
}
