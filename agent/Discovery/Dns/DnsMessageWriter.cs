using System.Buffers.Binary;
using System.Text;

namespace Usp.Agent.Discovery.Dns;

/// <summary>
/// Encodes DNS messages with name compression (RFC 1035 §4.1.4). A record that does not fit the size limit is not
/// written (<see cref="TryWriteRecord"/> returns false and the message stays valid), so callers can split answers
/// across packets.
/// </summary>
public sealed class DnsMessageWriter
{
    public const int HeaderLength = 12;

    private readonly byte[] _buffer;
    private readonly Dictionary<DnsName, int> _nameOffsets = [];
    private int _length;
    private int _questions;
    private int _answers;
    private int _authorities;
    private int _additionals;

    public DnsMessageWriter(int maxLength, ushort id, ushort flags)
    {
        _buffer = new byte[maxLength];
        BinaryPrimitives.WriteUInt16BigEndian(_buffer, id);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), flags);
        _length = HeaderLength;
    }

    public int Length => _length;

    public int RecordCount => _answers + _authorities + _additionals;

    public static byte[] Encode(DnsMessage message, int maxLength = 9000)
    {
        var writer = new DnsMessageWriter(maxLength, message.Id, message.Flags);
        foreach (DnsQuestion question in message.Questions)
        {
            writer.TryWriteQuestion(question);
        }

        foreach (DnsRecord record in message.Answers)
        {
            writer.TryWriteRecord(DnsSection.Answer, record);
        }

        foreach (DnsRecord record in message.Authorities)
        {
            writer.TryWriteRecord(DnsSection.Authority, record);
        }

        foreach (DnsRecord record in message.Additionals)
        {
            writer.TryWriteRecord(DnsSection.Additional, record);
        }

        return writer.ToArray();
    }

    /// <summary>Questions go before any record.</summary>
    public bool TryWriteQuestion(DnsQuestion question)
    {
        return TryWrite(() =>
        {
            WriteName(question.Name);
            WriteUInt16((ushort)question.Type);
            WriteUInt16((ushort)(question.Class | (question.UnicastResponse ? DnsClass.TopBit : 0)));
            _questions++;
        });
    }

    /// <summary>Records go in section order: answers, then authorities, then additionals.</summary>
    public bool TryWriteRecord(DnsSection section, DnsRecord record)
    {
        return TryWrite(() =>
        {
            WriteName(record.Name);
            WriteUInt16((ushort)record.Type);
            WriteUInt16((ushort)(record.Class | (record.CacheFlush ? DnsClass.TopBit : 0)));
            WriteUInt32(record.Ttl);
            int lengthAt = _length;
            WriteUInt16(0);
            record.Data.WriteTo(this);
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(lengthAt), (ushort)(_length - lengthAt - 2));
            switch (section)
            {
                case DnsSection.Answer: _answers++; break;
                case DnsSection.Authority: _authorities++; break;
                default: _additionals++; break;
            }
        });
    }

    public byte[] ToArray()
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(4), (ushort)_questions);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(6), (ushort)_answers);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(8), (ushort)_authorities);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(10), (ushort)_additionals);
        return _buffer.AsSpan(0, _length).ToArray();
    }

    internal void WriteName(DnsName name)
    {
        for (int i = 0; i < name.Labels.Count; i++)
        {
            DnsName suffix = i == 0 ? name : name.Skip(i);
            if (_nameOffsets.TryGetValue(suffix, out int offset))
            {
                WriteUInt16((ushort)(0xC000 | offset));
                return;
            }

            if (_length <= 0x3FFF)
            {
                _nameOffsets[suffix] = _length;
            }

            byte[] label = Encoding.UTF8.GetBytes(name.Labels[i]);
            WriteByte((byte)label.Length);
            WriteBytes(label);
        }

        WriteByte(0);
    }

    internal void WriteByte(byte value)
    {
        EnsureRoom(1);
        _buffer[_length++] = value;
    }

    internal void WriteUInt16(ushort value)
    {
        EnsureRoom(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    internal void WriteUInt32(uint value)
    {
        EnsureRoom(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    internal void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        EnsureRoom(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void EnsureRoom(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            throw new MessageFullException();
        }
    }

    /// <summary>Writes one item whole or not at all: on overflow the length and the compression table are rolled back.</summary>
    private bool TryWrite(Action write)
    {
        int length = _length;
        var names = _nameOffsets.Count;
        try
        {
            write();
            return true;
        }
        catch (MessageFullException)
        {
            _length = length;
            if (_nameOffsets.Count != names)
            {
                foreach (DnsName stale in _nameOffsets.Where(n => n.Value >= length).Select(n => n.Key).ToList())
                {
                    _nameOffsets.Remove(stale);
                }
            }

            return false;
        }
    }

    private sealed class MessageFullException : Exception;
}

/// <summary>The record sections of a message.</summary>
public enum DnsSection
{
    Answer,
    Authority,
    Additional,
}
