global using Record = Usp.Proto.Record;
