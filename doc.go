// Package custodia is a backup library for bookkeeping firms and e-invoice
// systems: customer records, invoices and their attachments.
//
// The full package documentation is written as the packages land; see
// README.md and docs/FORMAT.md.
package custodia
