import { Schema, type Connection, type Model } from 'mongoose';
import type { Page } from '../../storage/types';
import { isBreached, type FaultQuery, type FaultStore, type FaultTicket, type FibreFlag } from './types';

type TicketDoc = FaultTicket & { breached: boolean };

const options = { versionKey: false, minimize: false, strict: true, autoIndex: false } as const;
const nullableNumber = { type: Number, default: null };
const nullableString = { type: String, default: null };

const ticketSchema = new Schema<TicketDoc>(
  {
    id: { type: String, required: true },
    kind: { type: String, required: true },
    scope: { type: String, required: true },
    buildingIds: { type: [String], default: [] },
    line: nullableString,
    devices: { type: [{ _id: false, deviceId: String, offlineAt: Number, backAt: nullableNumber }], default: [] },
    offlineSince: { type: Number, required: true },
    openedAt: { type: Number, required: true },
    state: { type: String, required: true },
    noSpareFibre: { type: Boolean, required: true },
    responseDeadline: { type: Number, required: true },
    repairDeadline: { type: Number, required: true },
    acknowledgedAt: nullableNumber,
    acknowledgedBy: nullableString,
    resolvedAt: nullableNumber,
    resolvedBy: nullableString,
    resolution: nullableString,
    note: nullableString,
    repairMs: nullableNumber,
    responseBreachedAt: nullableNumber,
    repairBreachedAt: nullableNumber,
    breached: { type: Boolean, required: true },
  },
  { ...options, collection: 'fault_tickets' },
);
ticketSchema.index({ id: 1 }, { unique: true });
ticketSchema.index({ state: 1, openedAt: -1 });
ticketSchema.index({ openedAt: -1 });
ticketSchema.index({ buildingIds: 1, openedAt: -1 });
ticketSchema.index({ 'devices.deviceId': 1, openedAt: -1 });

const fibreSchema = new Schema<FibreFlag>(
  {
    scope: { type: String, required: true },
    id: { type: String, required: true },
    noSpareFibre: { type: Boolean, required: true },
    note: nullableString,
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'fault_fibre' },
);
fibreSchema.index({ scope: 1, id: 1 }, { unique: true });

const strip = <T extends { breached?: boolean }>(doc: T): Omit<T, 'breached'> => {
  const { breached: _ignored, ...rest } = doc;
  return rest;
};

/** Fault tickets in MongoDB (collections fault_tickets, fault_fibre). */
export class MongoFaultStore implements FaultStore {
  private readonly tickets: Model<TicketDoc>;
  private readonly fibre: Model<FibreFlag>;

  constructor(connection: Connection) {
    this.tickets = connection.model<TicketDoc>('FaultTicket', ticketSchema);
    this.fibre = connection.model<FibreFlag>('FaultFibre', fibreSchema);
  }

  async init(): Promise<void> {
    await Promise.all([this.tickets.createIndexes(), this.fibre.createIndexes()]);
  }

  async save(ticket: FaultTicket): Promise<void> {
    await this.tickets.replaceOne({ id: ticket.id }, { ...ticket, breached: isBreached(ticket) }, { upsert: true });
  }

  async get(id: string): Promise<FaultTicket | null> {
    const doc = await this.tickets.findOne({ id }, { _id: 0 }).lean<TicketDoc>();
    return doc ? strip(doc) : null;
  }

  async list(query: FaultQuery): Promise<Page<FaultTicket>> {
    const filter: Record<string, unknown> = {};
    if (query.state !== undefined) filter.state = query.state;
    if (query.breached !== undefined) filter.breached = query.breached;
    if (query.buildingId !== undefined) filter.buildingIds = query.buildingId;
    if (query.from !== undefined || query.to !== undefined) {
      filter.openedAt = { ...(query.from !== undefined ? { $gte: query.from } : {}), ...(query.to !== undefined ? { $lt: query.to } : {}) };
    }
    const [total, docs] = await Promise.all([
      this.tickets.countDocuments(filter),
      this.tickets.find(filter, { _id: 0 }).sort({ openedAt: -1, id: -1 }).skip(query.offset).limit(query.limit).lean<TicketDoc[]>(),
    ]);
    return { total, items: docs.map(strip) };
  }

  async unresolved(): Promise<FaultTicket[]> {
    const docs = await this.tickets.find({ state: { $ne: 'resolved' } }, { _id: 0 }).sort({ openedAt: 1, id: 1 }).lean<TicketDoc[]>();
    return docs.map(strip);
  }

  async lastTicketOpenedFor(deviceId: string): Promise<number | null> {
    const doc = await this.tickets.findOne({ 'devices.deviceId': deviceId }, { _id: 0, openedAt: 1 }).sort({ openedAt: -1 }).lean<{ openedAt: number }>();
    return doc?.openedAt ?? null;
  }

  async putFibre(flag: FibreFlag): Promise<void> {
    await this.fibre.replaceOne({ scope: flag.scope, id: flag.id }, flag, { upsert: true });
  }

  async getFibre(scope: 'line' | 'building', id: string): Promise<FibreFlag | null> {
    return this.fibre.findOne({ scope, id }, { _id: 0 }).lean<FibreFlag>();
  }

  async listFibre(): Promise<FibreFlag[]> {
    return this.fibre.find({}, { _id: 0 }).sort({ scope: 1, id: 1 }).lean<FibreFlag[]>();
  }
}
