/** MANSCDP: charset handling, the XML parser/builder, and the typed command readers and builders. */
export * from './charset';
export * from './xml';
export * from './messages';
export { readChannelStatus, readOnline, readFlag } from './values';
